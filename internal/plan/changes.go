package plan

import (
	"fmt"

	"github.com/gantry-ci/gantry/internal/expr"
	"github.com/gantry-ci/gantry/internal/fnmatch"
	"github.com/gantry-ci/gantry/internal/pipeline"
)

// rulesChangesMatch is rules:changes, as GitLab's Clause::Changes: whether
// a changed file matches one of the globs. Without a list of changed
// files (a pipeline that no branch push or merge request caused) it
// holds; compare_to asks the trigger for the files changed since a ref.
// Globs and compare_to see the variables' values expanded among
// themselves (variables_hash_expanded).
func (ev *evaluator) rulesChangesMatch(globs []string, compareTo string, s *scope, pos pipeline.Pos, job string) (bool, error) {
	changed := ev.modifiedPaths()
	if compareTo != "" {
		ref := expr.ExpandGitLabNested(compareTo, s.Lookup())
		if ev.t.ChangedSince == nil {
			return true, nil
		}
		var err error
		changed, err = ev.t.ChangedSince(ref)
		if err != nil {
			return false, &Error{Pos: pos, Job: job, Msg: fmt.Sprintf("rules:changes:compare_to %q: %v", ref, err),
				Hint: "compare_to must name a branch, tag or commit of the repository"}
		}
		if changed == nil {
			changed = []string{}
		}
	}
	if changed == nil {
		return true, nil
	}
	lookup := s.Lookup()
	expanded := make([]string, len(globs))
	for i, g := range globs {
		expanded[i] = expr.ExpandGitLabNested(g, lookup) // Changes drops repeats
	}
	return fnmatch.Changes(expanded, changed), nil
}

// policyChangesMatch is only:changes and except:changes, as GitLab's
// Policy::Changes, which differs from rules:changes: its paths are used
// as written (no variable is expanded) and compared however many there
// are. Without a list of changed files it holds.
func (ev *evaluator) policyChangesMatch(globs []string) bool {
	changed := ev.modifiedPaths()
	if changed == nil {
		return true
	}
	return fnmatch.AnyMatch(globs, changed)
}

// modifiedPaths is the list changes: compares with, nil when unknown.
func (ev *evaluator) modifiedPaths() []string { return ModifiedPaths(ev.t) }

// ModifiedPaths is the list of changed files that changes: clauses (of
// jobs and of include:rules) compare with in a pipeline of t, nil when
// unknown: GitLab knows it only for branch pushes and merge requests.
func ModifiedPaths(t Trigger) []string {
	switch t.Source {
	case SourcePush, "":
		if t.Tag {
			return nil
		}
	case SourceMergeRequest, SourceExternalPR:
	default:
		return nil
	}
	return t.Changed
}
