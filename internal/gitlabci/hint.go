package gitlabci

import (
	"strings"

	"github.com/gantry-ci/gantry/internal/suggest"
)

// nearest is suggest.Nearest, short for the decoder's many hints.
func nearest(name string, candidates []string) string { return suggest.Nearest(name, candidates) }

// keywordHint is the hint for an unknown keyword: the nearest valid one, or
// the whole list when nothing is close.
func keywordHint(name string, candidates []string) string {
	if s := nearest(name, candidates); s != "" {
		return "did you mean " + s + "?"
	}
	return "valid keywords: " + strings.Join(candidates, ", ")
}
