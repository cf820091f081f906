package gitlabci

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gantry-ci/gantry/internal/pipeline"
)

// Error is a problem in a pipeline file: where, what, and how to fix it.
type Error struct {
	Pos  pipeline.Pos
	Msg  string
	Hint string
}

func (e *Error) Error() string {
	var b strings.Builder
	if s := e.Pos.String(); s != "" {
		b.WriteString(s)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Hint != "" {
		b.WriteString(" (")
		b.WriteString(e.Hint)
		b.WriteString(")")
	}
	return b.String()
}

// errorf builds an *Error at pos.
func errorf(pos pipeline.Pos, hint, format string, args ...any) *Error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...), Hint: hint}
}

// Errors collects every *Error found in err (which may be joined).
func Errors(err error) []*Error {
	if err == nil {
		return nil
	}
	var out []*Error
	var walk func(error)
	walk = func(err error) {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		if e, ok := err.(*Error); ok {
			out = append(out, e)
			return
		}
		if inner := errors.Unwrap(err); inner != nil {
			walk(inner)
			return
		}
		out = append(out, &Error{Msg: err.Error()})
	}
	walk(err)
	return out
}
