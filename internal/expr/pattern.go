package expr

import (
	"regexp"
	"strings"
)

// literalRE is GitLab's Lexeme::Pattern::PATTERN. Go's leftmost-first
// matching picks the same match a backtracking engine would, so token
// boundaries agree with GitLab's, quirks included: the closing slash may not
// follow a backslash, at least two characters sit between the slashes (/a/
// is not a pattern token) and unknown flags are left for the next token.
var literalRE = regexp.MustCompile(`^/(?:[^/]|\\/)+[^\\]/[ismU]*`)

// rubySyntaxRE is Gitlab::UntrustedRegexp::RubySyntax::PATTERN. Ruby's ^ and
// $ always match at line boundaries and its . never matches a newline, which
// is Go's (?m) without (?s).
var rubySyntaxRE = regexp.MustCompile(`(?m)^/(.*)/([ismU]*)$`)

// scanPattern returns the length of the regexp literal at the start of s, or
// 0 when s does not start with one.
func scanPattern(s string) int {
	return len(literalRE.FindString(s))
}

// compilePattern turns a /re/flags string into an RE2 regexp the way GitLab
// does for both literals and variable values: every \/ becomes /, the flags
// become a (?flags) prefix, and the rest must compile. ok is false when s is
// not shaped like /re/flags; err is set when it is but does not compile.
func compilePattern(s string) (re *regexp.Regexp, ok bool, err error) {
	s = strings.ReplaceAll(s, `\/`, `/`)
	m := rubySyntaxRE.FindStringSubmatch(s)
	if m == nil {
		return nil, false, nil
	}
	src := m[1]
	if m[2] != "" {
		src = "(?" + m[2] + ")" + src
	}
	re, err = regexp.Compile(src)
	if err != nil {
		return nil, true, err
	}
	return re, true, nil
}
