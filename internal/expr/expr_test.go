package expr

import (
	"errors"
	"strings"
	"testing"
)

func TestEval(t *testing.T) {
	vars := Map(map[string]string{
		"EMPTY":    "",
		"BLANK":    "  \t",
		"BRANCH":   "feature/login",
		"RE_I":     "/^FEATURE\\//i",
		"RE_BAD":   "/(/",
		"PLAIN":    "my feature/login branch",
		"TAG":      "v1.2.3",
		"inputs.x": "on",
		"MULTI":    "/^a/\nnoise",
	})
	tests := []struct {
		name, src string
		want      string // jsonValue of the result
		truthy    bool
	}{
		{"single quotes", `$BRANCH == 'feature/login'`, "true", true},
		{"true literal", `true`, "true", true},
		{"false literal", `false || $TAG`, `"v1.2.3"`, true},
		{"string is not bool", `"true" == true`, "false", false},
		{"bool equals bool", `($TAG == "v1.2.3") == true`, "true", true},
		{"blank string is falsy", `$BLANK`, `"  \t"`, false},
		{"blank string is truthy inside &&", `$BLANK && "x"`, `"x"`, true},
		{"undefined is null", `$NOPE`, "null", false},
		{"empty is not null", `$EMPTY != null`, "true", true},
		{"regexp literal alone is present", `/ab/`, "/ab/", true},
		{"regexp search", `$TAG =~ /\d+\.\d+/`, "true", true},
		{"anchored", `$TAG =~ /^1/`, "false", false},
		{"escaped slash", `$BRANCH =~ /^feature\/log/`, "true", true},
		{"variable holds pattern with flag", `$BRANCH =~ $RE_I`, "true", true},
		{"variable holds invalid pattern: substring search", `"(" =~ $RE_BAD`, "true", true},
		{"plain string right side: left text searched in it", `$BRANCH =~ $PLAIN`, "true", true},
		{"plain string right side, no containment", `$PLAIN =~ $BRANCH`, "false", false},
		{"empty left matches plain string", `$EMPTY =~ "abc"`, "true", true},
		{"undefined left matches as empty", `$NOPE =~ /^$/`, "true", true},
		{"null right never matches", `$TAG =~ $NOPE`, "false", false},
		{"null right !~ is true", `$TAG !~ $NOPE`, "true", true},
		{"false right never matches", `$TAG =~ false`, "false", false},
		{"bool left is its text", `($TAG == "v1.2.3") =~ /^true$/`, "true", true},
		{"ruby ^ in a multi-line variable pattern", `"abc" =~ $MULTI`, "true", true},
		{"flag m", `"x\ny" =~ /^y$/m`, "false", false},
		{"flag s", `$BRANCH =~ /feature.login/s`, "true", true},
		{"flag U", `$TAG =~ /v.+?/U`, "true", true},
		{"pattern equals pattern by source", `/ab/ == /ab/`, "true", true},
		{"string vs pattern", `"ab" == /ab/`, "false", false},
		{"and returns right operand", `$TAG && $BRANCH`, `"feature/login"`, true},
		{"or returns left operand", `$EMPTY || $TAG`, `""`, false},
		{"or skips null", `$NOPE || $TAG`, `"v1.2.3"`, true},
		{"comparisons bind tighter", `$TAG == "v1.2.3" && $BRANCH == "x" || $EMPTY == ""`, "true", true},
		{"input", `$[[ inputs.x ]] == "on"`, "true", true},
		{"input without spaces", `$[[inputs.x]]`, `"on"`, true},
		{"undefined input", `$[[ inputs.y ]] == null`, "true", true},
		{"newlines between tokens", "$TAG\n==\t'v1.2.3'", "true", true},
		{"short circuit hides right-side error", `$NOPE && ($TAG =~ true)`, "null", false},
		{"unicode", `"héllo" =~ /él/`, "true", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse(tt.src)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.src, err)
			}
			v, err := e.Eval(vars)
			if err != nil {
				t.Fatalf("Eval: %v", err)
			}
			if got := jsonValue(v); got != tt.want {
				t.Errorf("Eval(%q) = %s, want %s", tt.src, got, tt.want)
			}
			if got := e.Truthy(vars); got != tt.truthy {
				t.Errorf("Truthy(%q) = %v, want %v", tt.src, got, tt.truthy)
			}
		})
	}
}

func TestEvalOperandErrors(t *testing.T) {
	for _, src := range []string{
		`$A =~ true`,
		`$A !~ ("x" == "x")`,
		`/ab/ == "ab"`,
		`/ab/ != null`,
	} {
		t.Run(src, func(t *testing.T) {
			e, err := Parse(src)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.Eval(nil); !errors.Is(err, ErrOperand) {
				t.Errorf("Eval error = %v, want ErrOperand", err)
			}
			if e.Truthy(nil) {
				t.Error("Truthy = true on an evaluation error")
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src string
		col       int
		msg, hint string // substrings
	}{
		{"empty", "  ", 1, "empty expression", ""},
		{"braces", `${A} == "x"`, 1, "${...}", "without braces"},
		{"lone dollar", `$ == "x"`, 1, "variable name", ""},
		{"single =", `$A = "x"`, 4, "unexpected '='", "=="},
		{"single &", `$A & $B`, 4, "unexpected '&'", "&&"},
		{"not operator", `!$A`, 1, "unexpected '!'", "no ! operator"},
		{"bare word", `main`, 1, "unexpected 'm'", "quote strings"},
		{"unterminated string", `$A == "x`, 7, "unterminated string", ""},
		{"newline in string", "$A == \"x\ny\"", 7, "unterminated string", ""},
		{"mixed quotes", `$A == "x'`, 7, "unterminated string", ""},
		{"one-character regexp", `$A =~ /a/`, 7, "invalid regexp literal", "two characters"},
		{"empty regexp", `$A =~ //`, 7, "invalid regexp literal", ""},
		{"newline in regexp", "$A =~ /a\nb/", 7, "invalid regexp literal", "one line"},
		{"unknown flag", `$A =~ /ab/x`, 11, "unexpected 'x'", "flags"},
		{"invalid RE2", `$A =~ /(?<=a)b/`, 7, "invalid regular expression", "RE2"},
		{"bad input", `$[[ inputs. ]]`, 1, "invalid input reference", ""},
		{"missing operand", `$A ==`, 6, "unexpected end", ""},
		{"missing operator", `$A "x"`, 4, "expected an operator", ""},
		{"operator first", `&& $A`, 1, "expected a value", ""},
		{"empty parens", `()`, 2, "expected a value", ""},
		{"unclosed", `($A == "x"`, 1, "unclosed (", ""},
		{"unmatched", `$A == "x")`, 10, "unmatched )", ""},
		{"value after paren", `($A) $B`, 6, "expected an operator", ""},
		{"postfix operator", `$A $B ==`, 4, "expected an operator", ""},
		{"column counts characters", `"é" $A`, 5, "expected an operator", ""},
		{"null prefix", `nullx`, 5, "unexpected 'x'", ""},
		{"true needs a boundary", `truex`, 1, "unexpected 't'", ""},
		{"invalid utf-8", "\"\xff\"", 1, "UTF-8", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.src)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error = %v, want *SyntaxError", tt.src, err)
			}
			if se.Col != tt.col || !strings.Contains(se.Msg, tt.msg) || !strings.Contains(se.Hint, tt.hint) {
				t.Errorf("Parse(%q) = %q (col %d), want col %d, msg ~ %q, hint ~ %q",
					tt.src, se.Error(), se.Col, tt.col, tt.msg, tt.hint)
			}
			if !strings.HasPrefix(se.Error(), "at column ") {
				t.Errorf("Error() = %q", se.Error())
			}
		})
	}
}

func TestLimits(t *testing.T) {
	// n comparisons joined by && are 4n-1 tokens.
	chain := func(n int) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = `$A == "x"`
		}
		return strings.Join(parts, " && ")
	}
	if _, err := Parse(chain(25)); err != nil { // 99 tokens: GitLab's maximum
		t.Errorf("99 tokens: %v", err)
	}
	if _, err := Parse(chain(25) + " && $B"); err == nil || !strings.Contains(err.Error(), "too many tokens") {
		t.Errorf("101 tokens: err = %v, want too many tokens", err)
	}
	deep := strings.Repeat("(", 49) + "$A" + strings.Repeat(")", 49)
	if _, err := Parse(deep); err != nil {
		t.Errorf("49 levels: %v", err)
	}
	if _, err := Parse(strings.Repeat("(", 50) + "$A" + strings.Repeat(")", 50)); err == nil {
		t.Error("50 levels (101 tokens) parsed")
	}
	long := `$A == "` + strings.Repeat("x", MaxLen) + `"`
	if _, err := Parse(long); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("long expression: err = %v", err)
	}
}

func TestSource(t *testing.T) {
	tests := []struct{ src, want string }{
		{`$A||$B&&$C`, `$A || $B && $C`},
		{`($A || $B) && $C`, `($A || $B) && $C`},
		{`($A || $B) || $C`, `$A || $B || $C`},
		{`$A || ($B || $C)`, `$A || ($B || $C)`},
		{`$A == ($B == $C)`, `$A == ($B == $C)`},
		{`(($A))`, `$A`},
		{`'say "hi"' =~ /h\/i/i`, `'say "hi"' =~ /h\/i/i`},
		{`$[[inputs.x]] != null && true`, `$[[ inputs.x ]] != null && true`},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			e, err := Parse(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			if got := e.Source(); got != tt.want {
				t.Errorf("Source() = %q, want %q", got, tt.want)
			}
			back, err := Parse(e.Source())
			if err != nil {
				t.Fatal(err)
			}
			if back.String() != e.String() {
				t.Errorf("round trip: %s != %s", back, e)
			}
		})
	}
}

func TestValue(t *testing.T) {
	if !Null().IsNull() || Null().Present() || Null().String() != "null" {
		t.Error("Null")
	}
	if s, ok := String("x").Str(); !ok || s != "x" || !String("x").Present() {
		t.Error("String")
	}
	if b, ok := Bool(true).Bool(); !ok || !b || Bool(false).Present() {
		t.Error("Bool")
	}
	if String("\u00a0\u3000").Present() {
		t.Error("Unicode white space is blank in ActiveSupport")
	}
	e, err := Parse(`/a.c/i`)
	if err != nil {
		t.Fatal(err)
	}
	v, err := e.Eval(nil)
	if err != nil || v.Kind() != KindPattern || v.Regexp() == nil || !v.Regexp().MatchString("ABC") {
		t.Errorf("pattern value = %v, %v", v, err)
	}
	if KindPattern.String() != "regexp" || Kind(9).String() != "Kind(9)" {
		t.Error("Kind.String")
	}
}

func TestMatchReturnsSyntaxErrors(t *testing.T) {
	ok, err := Match(`$A = "x"`, nil)
	if ok || err == nil {
		t.Errorf("Match = %v, %v", ok, err)
	}
	ok, err = Match(`$CI_COMMIT_BRANCH == "main"`, Map(map[string]string{"CI_COMMIT_BRANCH": "main"}))
	if !ok || err != nil {
		t.Errorf("Match = %v, %v", ok, err)
	}
}
