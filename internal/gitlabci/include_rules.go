package gitlabci

import (
	"io/fs"

	"github.com/gantry-ci/gantry/internal/expr"
	"github.com/gantry-ci/gantry/internal/fnmatch"
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

// anyPattern reports whether an exists/changes clause (a list, or a map
// with paths:) holds, as GitLab's Clause::Exists and Clause::Changes:
// the globs are matched with Ruby's File.fnmatch? (package fnmatch), as
// written (a leading / or ./ is not dropped), and every string is a valid
// glob.
func (r *resolver) anyPattern(n *Node, clause string, holds func([]string) bool) (bool, error) {
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
	globs := make([]string, 0, len(n.Items))
	for _, it := range n.Items {
		if it.Kind != Scalar {
			return false, errorf(it.Pos, "", "rules:%s paths must be strings", clause)
		}
		globs = append(globs, it.Value)
	}
	return holds(globs), nil
}

// exists is rules:exists over the project's files. GitLab keeps unknown
// names as written and sees the values as written (expand_existing on
// variables_hash).
func (r *resolver) exists(globs []string) bool {
	expand := func(g string) string { return expr.ExpandGitLabExisting(g, r.vars) }
	return fnmatch.Exists(globs, expand, r.projectFiles(fnmatch.TopLevel(globs)))
}

// changed is rules:changes over the push's changed files; with no list of
// changes it holds (GitLab, without a push event). Values are expanded
// among themselves (variables_hash_expanded).
func (r *resolver) changed(globs []string) bool {
	if r.opts.Changed == nil {
		return true
	}
	expanded := make([]string, len(globs))
	for i, g := range globs {
		expanded[i] = expr.ExpandGitLabNested(g, r.vars)
	}
	return fnmatch.Changes(expanded, r.opts.Changed)
}

// projectFiles lists the project's files (not directories) relative to
// its root, as git ls-files would, .git and gantry's own .gantry (job
// workspaces hold copies of the project) left out; topLevel stops at the
// root's own files. An unreadable directory is skipped: exists is a
// test, not a read. The whole list is walked once per resolve and serves
// every later clause, top-level ones too (fnmatch.Exists keeps the
// top-level files of it).
func (r *resolver) projectFiles(topLevel bool) []string {
	if r.files != nil {
		return r.files
	}
	files := []string{}
	// Walk errors only skip what cannot be read (see above).
	_ = fs.WalkDir(r.root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return nil
		case !d.IsDir():
			files = append(files, p)
		case p == ".git" || p == ".gantry" || (p != "." && (topLevel || d.Name() == ".git")):
			return fs.SkipDir
		}
		return nil
	})
	if !topLevel {
		r.files = files
	}
	return files
}
