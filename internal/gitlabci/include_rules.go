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
	for _, it := range n.Items {
		if it.Kind != Scalar {
			return false, errorf(it.Pos, "", "rules:%s paths must be strings", clause)
		}
		pat := strings.TrimLeft(expandExisting(it.Value, r.vars), "/")
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

// expandExisting replaces $NAME and ${NAME} by the value of known
// variables and leaves unknown ones as written, like GitLab's
// ExpandVariables.expand_existing; $$ stays $$.
func expandExisting(s string, vars func(string) (string, bool)) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '$' || i+1 >= len(s) {
			b.WriteByte(s[i])
			i++
			continue
		}
		if s[i+1] == '$' {
			b.WriteString("$$")
			i += 2
			continue
		}
		j, braced := i+1, s[i+1] == '{'
		if braced {
			j++
		}
		k := j
		for k < len(s) && isVarChar(s[k], k == j) {
			k++
		}
		end := k
		if braced {
			if k >= len(s) || s[k] != '}' {
				k = j // not a complete ${NAME}
			}
			end = k + 1
		}
		if k == j {
			b.WriteByte('$')
			i++
			continue
		}
		if v, ok := vars(s[j:k]); ok {
			b.WriteString(v)
		} else {
			b.WriteString(s[i:end])
		}
		i = end
	}
	return b.String()
}

func isVarChar(c byte, first bool) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || (!first && '0' <= c && c <= '9')
}
