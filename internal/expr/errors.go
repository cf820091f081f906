package expr

import (
	"errors"
	"fmt"
)

// SyntaxError is an expression GitLab would refuse to lex or parse. Col is
// the 1-based column (in characters) of the offending token in the
// expression, so a frontend can add it to the column of the YAML scalar.
type SyntaxError struct {
	Col  int
	Msg  string
	Hint string
}

func (e *SyntaxError) Error() string {
	if e.Hint != "" {
		return fmt.Sprintf("at column %d: %s (%s)", e.Col, e.Msg, e.Hint)
	}
	return fmt.Sprintf("at column %d: %s", e.Col, e.Msg)
}

// ErrOperand is returned by Eval when an operator gets an operand GitLab
// cannot handle (GitLab raises a Ruby NoMethodError there), for example a
// boolean on the right of =~ or a regexp compared with ==.
var ErrOperand = errors.New("invalid operand")

// Limits on the source of an expression. GitLab's lexer refuses a statement
// of 100 tokens or more; that also bounds nesting to under 50 parentheses,
// so parsing and evaluation are linear and their recursion shallow.
const (
	MaxLen    = 10 << 10
	MaxTokens = 99
)
