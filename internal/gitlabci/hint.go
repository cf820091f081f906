package gitlabci

import (
	"strings"

	"github.com/gantry-ci/gantry/internal/suggest"
)

// nearest is suggest.Nearest, short for the decoder's many hints.
func nearest(name string, candidates []string) string { return suggest.Nearest(name, candidates) }

// didYouMean is the hint for a name that is none of candidates: the
// nearest one, or otherwise when none is a plausible typo of it.
func didYouMean(name string, candidates []string, otherwise string) string {
	if s := nearest(name, candidates); s != "" {
		return "did you mean " + s + "?"
	}
	return otherwise
}

// keywordHint is the hint for an unknown keyword: the nearest valid one, or
// the whole list when nothing is close.
func keywordHint(name string, candidates []string) string {
	return didYouMean(name, candidates, "valid keywords: "+strings.Join(candidates, ", "))
}
