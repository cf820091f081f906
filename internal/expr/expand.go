package expr

import (
	"os"
	"regexp"
)

// GitLab expands variables in three places, each with its own rules (GitLab
// docs, "Where variables can be used"):
//
//   - GitLab itself, for environment:name/url, rules:changes/exists,
//     include, trigger and other pipeline-creation fields: ExpandGitLab.
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
// environment:name and environment:url): an unknown name becomes empty and
// there is no escape, so $$A is "$" followed by A's value.
func ExpandGitLab(s string, vars Lookup) string {
	return expandGitLab(s, vars, false)
}

// ExpandGitLabExisting is ExpandGitLab leaving references to unknown names
// as written (ExpandVariables.expand_existing, used for rules:changes and
// rules:exists paths).
func ExpandGitLabExisting(s string, vars Lookup) string {
	return expandGitLab(s, vars, true)
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
