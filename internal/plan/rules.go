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
		ok, err := ev.changesMatch(r.Changes.Paths, r.Changes.CompareTo, s, r.Pos, job)
		if err != nil || !ok {
			return false, err
		}
	}
	if r.Exists != nil && !ev.existsMatch(r.Exists, s) {
		return false, nil
	}
	return true, nil
}

// changesMatch is rules:changes and only/except:changes: whether a changed
// file matches one of the globs. Without a list of changed files, or for a
// pipeline that no push caused (tags, schedules, web...), it holds, as in
// GitLab; compare_to asks the trigger for the files changed since a ref.
// Globs and compare_to see the variables' values expanded among
// themselves, as GitLab's Clause::Changes does.
func (ev *evaluator) changesMatch(globs []string, compareTo string, s *scope, pos pipeline.Pos, job string) (bool, error) {
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
	for _, g := range globs {
		g = expr.ExpandGitLabNested(g, s.Lookup())
		for _, f := range changed {
			if globMatch(g, f) {
				return true, nil
			}
		}
	}
	return false, nil
}

// modifiedPaths is the list changes: compares with, nil when unknown.
// GitLab knows it only for branch pushes and merge requests.
func (ev *evaluator) modifiedPaths() []string {
	switch ev.source {
	case SourcePush:
		if ev.t.Tag {
			return nil
		}
	case SourceMergeRequest, SourceExternalPR:
	default:
		return nil
	}
	return ev.t.Changed
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

// globMatch matches a path against a changes:/exists: glob the way Ruby's
// File.fnmatch with FNM_PATHNAME|FNM_DOTMATCH|FNM_EXTGLOB does for GitLab:
// * stays within a directory and matches dot files, ** crosses
// directories, {a,b} alternates. A bad glob matches nothing.
func globMatch(glob, path string) bool {
	glob = strings.TrimPrefix(glob, "./")
	ok, err := doublestar.Match(glob, path)
	return err == nil && ok
}
