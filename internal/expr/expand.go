package expr

import (
	"os"
	"regexp"
)

// GitLab expands variables in three places, each with its own rules (GitLab
// docs, "Where variables can be used"):
//
//   - GitLab itself, when it creates a pipeline: ExpandGitLab where an
//     unknown name becomes empty (environment:name/url, include locations),
//     ExpandGitLabExisting where it stays as written (rules:exists, the
//     expand_vars input function) and ExpandGitLabNested for rules:changes,
//     which sees the variables' values expanded among themselves.
//   - GitLab Runner, for image, services, cache:key, artifacts:name/paths and
//     every job variable's value before the job starts: Expand and, for the
//     whole list, ExpandAll.
//   - The job's shell, for script lines: not done here.

// Expand replaces $NAME and ${NAME} in s the way GitLab Runner does
// (Variables.ExpandValue, which is Go's os.Expand): an unknown name becomes
// empty, $$ becomes a literal $, the shell specials $* $# $@ $! $? and $0..$9
// become empty, ${} and an unterminated ${ are dropped, and a $ followed by
// anything else, or at the end, stays as written. Names are ASCII letters,
// digits and _; ${...} takes everything up to the closing brace as the name,
// so ${A:-x} looks up "A:-x". A nil vars defines nothing.
func Expand(s string, vars Lookup) string {
	return os.Expand(s, func(name string) string {
		return runnerValue(vars, name)
	})
}

// runnerValue is GitLab Runner's Variables.value for a name os.Expand found.
func runnerValue(vars Lookup, name string) string {
	switch name {
	case "$":
		return "$"
	case "*", "#", "@", "!", "?", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9":
		return ""
	}
	if vars == nil {
		return ""
	}
	v, _ := vars(name) // undefined is empty, as in the runner
	return v
}

// gitlabRefRE is GitLab's ExpandVariables::VARIABLES_REGEXP: $NAME, ${NAME}
// and the Windows form %NAME%. It has no escape: $$NAME is $ then $NAME.
var gitlabRefRE = regexp.MustCompile(`\$([a-zA-Z_][a-zA-Z0-9_]*)|\$\{([a-zA-Z_][a-zA-Z0-9_]*)\}|%([a-zA-Z_][a-zA-Z0-9_]*)%`)

// ExpandGitLab replaces $NAME, ${NAME} and %NAME% in s the way GitLab does
// when it creates a pipeline (ExpandVariables.expand, used for
// environment:name and environment:url and for include locations): an
// unknown name becomes empty and there is no escape, so $$A is "$" followed
// by A's value.
func ExpandGitLab(s string, vars Lookup) string {
	return expandGitLab(s, vars, false)
}

// ExpandGitLabExisting is ExpandGitLab leaving references to unknown names
// as written (ExpandVariables.expand_existing, used for rules:exists paths,
// include:rules:exists and the expand_vars input function).
func ExpandGitLabExisting(s string, vars Lookup) string {
	return expandGitLab(s, vars, true)
}

// ExpandGitLabNested is ExpandGitLabExisting with the variables' own
// references expanded first, as for rules:changes paths and compare_to
// (expand_existing over context.variables_hash_expanded, which is
// Collection#sort_and_expand_all): in a value, a reference to a known
// variable becomes its expanded value, one to an unknown variable becomes
// empty, and $$ and %% stay. When the references reachable from s form a
// cycle GitLab expands no value, so the values are used as written. A
// value's reference to its own name is empty: GitLab looks it up among the
// definitions before it, and a Lookup has only one.
func ExpandGitLabNested(s string, vars Lookup) string {
	if vars == nil {
		return expandGitLab(s, nil, true)
	}
	n := &nester{vars: vars, values: map[string]string{}, state: map[string]int{}}
	for _, m := range gitlabRefRE.FindAllStringSubmatch(s, -1) {
		n.resolve(m[1] + m[2] + m[3])
	}
	if n.cycle {
		return expandGitLab(s, vars, true)
	}
	return expandGitLab(s, func(name string) (string, bool) {
		v, ok := n.values[name]
		return v, ok
	}, true)
}

// nester expands variable values among themselves for ExpandGitLabNested.
type nester struct {
	vars   Lookup
	values map[string]string // expanded values of the known names seen
	state  map[string]int    // 0 unseen, 1 being expanded, 2 done
	cycle  bool
}

func (n *nester) resolve(name string) (string, bool) {
	switch n.state[name] {
	case 1:
		n.cycle = true
		return "", false
	case 2:
		v, ok := n.values[name]
		return v, ok
	}
	n.state[name] = 1
	raw, ok := n.vars(name)
	if ok {
		n.values[name] = collectionRefRE.ReplaceAllStringFunc(raw, func(ref string) string {
			m := collectionRefRE.FindStringSubmatch(ref)
			dep := m[1] + m[2] + m[3]
			switch dep {
			case "":
				return ref // $$, %% and ${} stay
			case name:
				return "" // no earlier definition to refer to
			}
			v, _ := n.resolve(dep) // unknown is empty here (keep_undefined: false)
			return v
		})
	}
	n.state[name] = 2
	return n.values[name], ok
}

func expandGitLab(s string, vars Lookup, keepUnknown bool) string {
	return gitlabRefRE.ReplaceAllStringFunc(s, func(ref string) string {
		m := gitlabRefRE.FindStringSubmatch(ref)
		name := m[1] + m[2] + m[3] // exactly one group matched
		if vars != nil {
			if v, ok := vars(name); ok {
				return v
			}
		}
		if keepUnknown {
			return ref
		}
		return ""
	})
}
