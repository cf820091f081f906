package plan

import (
	"fmt"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/gantry-ci/gantry/internal/expr"
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

// existsMatch is rules:exists: whether a repository file matches one of
// the globs, variables in them expanded.
func (ev *evaluator) existsMatch(globs []string, s *scope) bool {
	for _, g := range globs {
		g = expr.ExpandGitLabExisting(g, s.Lookup())
		if g == "" {
			continue
		}
		if !strings.ContainsAny(g, `*?[{\`) {
			if ev.files()[strings.TrimPrefix(g, "./")] {
				return true
			}
			continue
		}
		for _, f := range ev.t.Files {
			if globMatch(g, f) {
				return true
			}
		}
	}
	return false
}

// files indexes Trigger.Files for exact-path exists: clauses.
func (ev *evaluator) files() map[string]bool {
	if ev.fileSet == nil {
		ev.fileSet = make(map[string]bool, len(ev.t.Files))
		for _, f := range ev.t.Files {
			ev.fileSet[f] = true
		}
	}
	return ev.fileSet
}

// globMatch matches a path against an exists: glob: * stays within a
// directory and matches dot files, ** crosses directories, {a,b}
// alternates. A bad glob matches nothing. (changes: globs use fnmatch,
// Ruby's rules exactly.)
func globMatch(glob, path string) bool {
	glob = strings.TrimPrefix(glob, "./")
	ok, err := doublestar.Match(glob, path)
	return err == nil && ok
}
