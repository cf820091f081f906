package expr

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// tokKind is the type of a lexeme, named after GitLab's lexeme classes.
type tokKind uint8

const (
	tLParen tokKind = iota
	tRParen
	tInput
	tVar
	tString
	tPattern
	tNull
	tBool
	tEquals
	tMatches
	tNotEquals
	tNotMatches
	tAnd
	tOr
)

// token is one lexeme. text is the exact source slice; off its byte offset.
type token struct {
	kind tokKind
	text string
	off  int
	re   *regexp.Regexp // the compiled pattern of a tPattern
}

// operators maps the two-character operator lexemes to their kinds.
var operators = map[string]tokKind{
	"==": tEquals, "=~": tMatches, "!=": tNotEquals, "!~": tNotMatches,
	"&&": tAnd, "||": tOr,
}

// precedence reports whether k is a binary operator and gives its GitLab
// precedence: lower binds tighter.
func (k tokKind) precedence() (int, bool) {
	switch k {
	case tEquals, tMatches, tNotEquals, tNotMatches:
		return 10, true
	case tAnd:
		return 11, true
	case tOr:
		return 12, true
	}
	return 0, false
}

// isSpace is Ruby's \s, which GitLab's lexer skips between lexemes.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// isWord is Ruby's ASCII \w, the characters of variable and input names.
func isWord(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// lexer splits an expression the way GitLab's Lexer does: skip white space,
// then take the first lexeme class that matches at the current position.
type lexer struct {
	src  string
	pos  int
	last tokKind // kind of the previous token, for hints
}

// column converts a byte offset into a 1-based character column.
func column(src string, off int) int {
	if off > len(src) {
		off = len(src)
	}
	return utf8.RuneCountInString(src[:off]) + 1
}

func (l *lexer) errorf(off int, hint, format string, args ...any) *SyntaxError {
	return &SyntaxError{Col: column(l.src, off), Msg: fmt.Sprintf(format, args...), Hint: hint}
}

// tokens lexes the whole source.
func (l *lexer) tokens() ([]token, error) {
	var toks []token
	for {
		for l.pos < len(l.src) && isSpace(l.src[l.pos]) {
			l.pos++
		}
		if l.pos >= len(l.src) {
			return toks, nil
		}
		if len(toks) == MaxTokens {
			return nil, l.errorf(l.pos, "split the condition over several rules",
				"too many tokens: GitLab accepts at most %d", MaxTokens)
		}
		tok, err := l.next()
		if err != nil {
			return nil, err
		}
		toks = append(toks, tok)
		l.last = tok.kind
	}
}

// next lexes one token at l.pos, which is not white space.
func (l *lexer) next() (token, error) {
	s := l.src[l.pos:]
	start := l.pos
	emit := func(k tokKind, n int) (token, error) {
		l.pos += n
		return token{kind: k, text: s[:n], off: start}, nil
	}
	switch {
	case s[0] == '(':
		return emit(tLParen, 1)
	case s[0] == ')':
		return emit(tRParen, 1)
	case strings.HasPrefix(s, "$[["):
		if n := scanInput(s); n > 0 {
			return emit(tInput, n)
		}
		return token{}, l.errorf(start, "write $[[ inputs.NAME ]]", "invalid input reference")
	case s[0] == '$':
		n := 1
		for n < len(s) && isWord(s[n]) {
			n++
		}
		if n > 1 {
			return emit(tVar, n)
		}
		if strings.HasPrefix(s, "${") {
			return token{}, l.errorf(start, "GitLab expressions take $NAME, without braces",
				"${...} is not valid in an expression")
		}
		return token{}, l.errorf(start, "", "expected a variable name after $")
	case s[0] == '"' || s[0] == '\'':
		// GitLab's string is /"(.*?)"/: no escapes, no newline inside.
		end := strings.IndexByte(s[1:], s[0])
		if nl := strings.IndexByte(s[1:], '\n'); end < 0 || (nl >= 0 && nl < end) {
			return token{}, l.errorf(start, "close it on the same line; strings have no escapes",
				"unterminated string")
		}
		return emit(tString, end+2)
	case s[0] == '/':
		n := scanPattern(s)
		if n == 0 {
			return token{}, l.errorf(start,
				"GitLab needs /re/ with at least two characters, ending with an unescaped /",
				"invalid regexp literal")
		}
		re, ok, err := compilePattern(s[:n])
		if !ok {
			// The literal scan lets a newline through but GitLab's
			// RubySyntax check, which builds the regexp, does not.
			return token{}, l.errorf(start, "a regexp literal must stay on one line",
				"invalid regexp literal %q", s[:n])
		}
		if err != nil {
			return token{}, l.errorf(start, "GitLab uses RE2 syntax: no backreferences, lookaround or possessive quantifiers",
				"invalid regular expression %s: %v", s[:n], err)
		}
		tok, _ := emit(tPattern, n) // emit never fails
		tok.re = re
		return tok, nil
	case strings.HasPrefix(s, "null"):
		return emit(tNull, 4)
	case keyword(s, "true"):
		return emit(tBool, 4)
	case keyword(s, "false"):
		return emit(tBool, 5)
	}
	if len(s) >= 2 {
		if k, ok := operators[s[:2]]; ok {
			return emit(k, 2)
		}
	}
	r, _ := utf8.DecodeRuneInString(s)
	hint := ""
	switch {
	case s[0] == '=':
		hint = "compare with =="
	case s[0] == '&' || s[0] == '|':
		hint = "use && or ||"
	case s[0] == '!':
		hint = "use != or !~; GitLab has no ! operator"
	case isWord(s[0]) && l.last == tPattern && l.pos > 0 && !isSpace(l.src[l.pos-1]):
		hint = "GitLab's regexp flags are i, m, s and U"
	case isWord(s[0]):
		hint = `quote strings ("text") and prefix variables with $`
	}
	return token{}, l.errorf(start, hint, "unexpected %q", r)
}

// keyword matches GitLab's /\b(?:true|false)\b/ at the start of s.
func keyword(s, word string) bool {
	return strings.HasPrefix(s, word) && (len(s) == len(word) || !isWord(s[len(word)]))
}

// scanInput matches GitLab's /\$\[\[\s*inputs\.(\w+)\s*\]\]/ at the start of
// s and returns its length, or 0.
func scanInput(s string) int {
	i := len("$[[")
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if !strings.HasPrefix(s[i:], "inputs.") {
		return 0
	}
	i += len("inputs.")
	j := i
	for j < len(s) && isWord(s[j]) {
		j++
	}
	if j == i {
		return 0
	}
	for j < len(s) && isSpace(s[j]) {
		j++
	}
	if !strings.HasPrefix(s[j:], "]]") {
		return 0
	}
	return j + 2
}

// inputName extracts NAME from a $[[ inputs.NAME ]] token.
func inputName(text string) string {
	text = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(text, "$[["), "]]"))
	return strings.TrimPrefix(text, "inputs.")
}
