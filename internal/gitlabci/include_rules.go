package gitlabci

import (
	"io/fs"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/gantry-ci/gantry/internal/expr"
)

// rulesMatch evaluates include:rules: the first rule whose clauses all
// hold decides (when: never excludes, anything else includes); when no
// rule holds the file is not included.
func (r *resolver) rulesMatch(rules *Node) (bool, error) {
	if rules.Kind != Seq || rules.Tag == TagReference {
		return false, errorf(rules.Pos, "write a list: rules: [{if: ...}]", "include:rules must be a list of rules")
	}
	for _, rule := range rules.Items {
		if rule.Kind != Map {
			return false, errorf(rule.Pos, "", "an include rule must be a map with if, exists, changes or when")
		}
		ok, err := r.ruleHolds(rule)
		if err != nil {
			return false, err
		}
		if !ok {
			continue
		}
		if w := rule.Get("when"); w != nil && w.Kind == Scalar && w.Value == "never" {
			return false, nil
		}
		return true, nil
	}
	return false, nil
}

func (r *resolver) ruleHolds(rule *Node) (bool, error) {
	for _, p := range rule.Pairs {
		var ok bool
		var err error
		switch p.Key {
		case "if":
			if p.Value.Kind != Scalar {
				return false, errorf(p.Value.Pos, "", "rules:if must be a string expression")
			}
			ok, err = expr.Match(p.Value.Value, r.vars)
			if err != nil {
				return false, errorf(p.Value.Pos, "", "rules:if: %v", err)
			}
		case "exists":
			ok, err = r.anyPattern(p.Value, "exists", r.exists)
		case "changes":
			ok, err = r.anyPattern(p.Value, "changes", r.changed)
		case "when":
			if p.Value.Kind != Scalar || (p.Value.Value != "never" && p.Value.Value != "always") {
				return false, errorf(p.Value.Pos, "", "include:rules:when must be never or always")
			}
			ok = true
		default:
			return false, errorf(p.KeyPos, "include rules take if, exists, changes and when", "unknown include rule key %q", p.Key)
		}
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// anyPattern reports whether any pattern of an exists/changes clause (a
// list, or a map with paths:) satisfies match.
func (r *resolver) anyPattern(n *Node, clause string, match func(string) bool) (bool, error) {
	if n.Kind == Map {
		if p := n.Lookup("project"); p != nil {
			return false, errorf(p.KeyPos, "vendor the files and test paths in this project", "rules:%s:project is not available without a GitLab instance", clause)
		}
		paths := n.Get("paths")
		if paths == nil {
			return false, errorf(n.Pos, "write paths: [...]", "rules:%s needs paths", clause)
		}
		n = paths
	}
	if n.Kind != Seq || n.Tag == TagReference {
		return false, errorf(n.Pos, "write a list of paths or glob patterns", "rules:%s must be a list of paths", clause)
	}
	// GitLab's Clause::Exists and Clause::Changes keep unknown names as
	// written; changes sees the variables' values expanded among
	// themselves, exists sees them as written.
	expand := expr.ExpandGitLabExisting
	if clause == "changes" {
		expand = expr.ExpandGitLabNested
	}
	for _, it := range n.Items {
		if it.Kind != Scalar {
			return false, errorf(it.Pos, "", "rules:%s paths must be strings", clause)
		}
		pat := strings.TrimLeft(expand(it.Value, r.vars), "/")
		if !doublestar.ValidatePattern(pat) {
			return false, errorf(it.Pos, "", "rules:%s: invalid glob pattern %q", clause, pat)
		}
		if match(pat) {
			return true, nil
		}
	}
	return false, nil
}

// exists reports whether any project file matches pattern.
func (r *resolver) exists(pattern string) bool {
	found := false
	// A walk error is "no match": exists is a test, not a read.
	_ = doublestar.GlobWalk(r.root.FS(), pattern, func(string, fs.DirEntry) error {
		found = true
		return fs.SkipAll
	}, doublestar.WithFilesOnly(), doublestar.WithFailOnIOErrors())
	return found
}

// changed reports whether a changed file matches pattern; with no list of
// changes every pattern matches (GitLab, without a push event).
func (r *resolver) changed(pattern string) bool {
	if r.opts.Changed == nil {
		return true
	}
	for _, f := range r.opts.Changed {
		if doublestar.MatchUnvalidated(pattern, f) {
			return true
		}
	}
	return false
}
