package expr

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// Kind is the dynamic type of a Value, mirroring the Ruby objects GitLab's
// evaluator produces: nil, String, true/false and Gitlab::UntrustedRegexp.
type Kind uint8

// The kinds of Value.
const (
	KindNull Kind = iota
	KindString
	KindBool
	KindPattern
)

func (k Kind) String() string {
	switch k {
	case KindNull:
		return "null"
	case KindString:
		return "string"
	case KindBool:
		return "bool"
	case KindPattern:
		return "regexp"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Value is the result of evaluating an expression or one of its operands.
// The zero Value is null.
type Value struct {
	kind Kind
	str  string // the string, or the pattern's RE2 source
	b    bool
	re   *regexp.Regexp
}

// Null is GitLab's nil: an undefined variable or the null literal.
func Null() Value { return Value{} }

// String returns a string Value.
func String(s string) Value { return Value{kind: KindString, str: s} }

// Bool returns a boolean Value.
func Bool(b bool) Value { return Value{kind: KindBool, b: b} }

// patternValue wraps a compiled regexp; src is the RE2 source it came from.
func patternValue(re *regexp.Regexp) Value {
	return Value{kind: KindPattern, str: re.String(), re: re}
}

// Kind reports the dynamic type of v.
func (v Value) Kind() Kind { return v.kind }

// IsNull reports whether v is null.
func (v Value) IsNull() bool { return v.kind == KindNull }

// Str returns the string and true when v is a string.
func (v Value) Str() (string, bool) { return v.str, v.kind == KindString }

// Bool returns the boolean and true when v is a boolean.
func (v Value) Bool() (b, ok bool) { return v.b, v.kind == KindBool }

// Regexp returns the compiled regexp when v is a pattern, nil otherwise.
func (v Value) Regexp() *regexp.Regexp { return v.re }

// Present is ActiveSupport's present?, which GitLab applies to the final
// result: null, false and blank strings (empty or only white space) are not
// present; everything else, a regexp included, is.
func (v Value) Present() bool {
	switch v.kind {
	case KindNull:
		return false
	case KindBool:
		return v.b
	case KindString:
		return strings.TrimFunc(v.str, unicode.IsSpace) != ""
	}
	return true
}

// truthy is Ruby truthiness, used by && and || inside an expression: only
// nil and false are false, so an empty string is true there.
func (v Value) truthy() bool {
	return v.kind != KindNull && !(v.kind == KindBool && !v.b)
}

// text is Ruby's to_s as =~ applies it to its left operand.
func (v Value) text() string {
	switch v.kind {
	case KindString, KindPattern:
		// GitLab would print an object id for a regexp; its source is the
		// only useful reading and no real expression depends on it.
		return v.str
	case KindBool:
		return strconv.FormatBool(v.b)
	}
	return ""
}

// String formats v as the expression literal that would produce it, for
// messages and tests: null, true, "text" or /re/.
func (v Value) String() string {
	switch v.kind {
	case KindString:
		return strconv.Quote(v.str)
	case KindBool:
		return strconv.FormatBool(v.b)
	case KindPattern:
		return "/" + v.str + "/"
	}
	return "null"
}

// Equal is Ruby's == as GitLab's == and != operators apply it. A regexp on
// the left compares by source with another regexp and is an error against
// anything else (GitLab calls other.source); a regexp on the right is simply
// unequal to a string.
func (v Value) Equal(w Value) (bool, error) {
	if v.kind == KindPattern {
		if w.kind != KindPattern {
			return false, ErrOperand
		}
		return v.str == w.str, nil
	}
	if v.kind != w.kind {
		return false, nil
	}
	switch v.kind {
	case KindString:
		return v.str == w.str, nil
	case KindBool:
		return v.b == w.b, nil
	}
	return true, nil // both null
}
