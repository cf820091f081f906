package plan

import (
	"fmt"

	"github.com/gantry-ci/gantry/internal/expr"
	"github.com/gantry-ci/gantry/internal/fnmatch"
	"github.com/gantry-ci/gantry/internal/pipeline"
)

// firstRule returns the first rule of rules whose clauses all hold, or nil.
func (ev *evaluator) firstRule(rules []pipeline.Rule, s *scope, job string) (*pipeline.Rule, error) {
	for i := range rules {
		ok, err := ev.ruleMatches(&rules[i], s, job)
		if err != nil {
			return nil, err
		}
		if ok {
			return &rules[i], nil
		}
	}
	return nil, nil
}

// ruleMatches reports whether every clause of r (if, changes, exists)
// holds. A rule without clauses always matches.
func (ev *evaluator) ruleMatches(r *pipeline.Rule, s *scope, job string) (bool, error) {
	if r.If != "" {
		ok, err := expr.Match(r.If, s.Lookup())
		if err != nil {
			pos := r.IfPos
			if pos.Line == 0 {
				pos = r.Pos
			}
			return false, &Error{Pos: pos, Job: job, Msg: fmt.Sprintf("rules:if %q: %v", r.If, err),
				Hint: `write conditions like $VAR == "value" or $VAR =~ /regex/`}
		}
		if !ok {
			return false, nil
		}
	}
	if r.Changes != nil {
		ok, err := ev.rulesChangesMatch(r.Changes.Paths, r.Changes.CompareTo, s, r.Pos, job)
		if err != nil || !ok {
			return false, err
		}
	}
	if r.Exists != nil && !ev.existsMatch(r.Exists, s) {
		return false, nil
	}
	return true, nil
}

// existsMatch is rules:exists, as GitLab's Clause::Exists: whether a
// repository file matches one of the globs, variables in them expanded
// as written (not among themselves).
func (ev *evaluator) existsMatch(globs []string, s *scope) bool {
	lookup := s.Lookup()
	return fnmatch.Exists(globs, func(g string) string { return expr.ExpandGitLabExisting(g, lookup) }, ev.t.Files)
}
