package gitlabci

import (
	"fmt"

	"github.com/gantry-ci/gantry/internal/pipeline"
)

// Error is a problem in a pipeline file: where, what, and how to fix it.
type Error = pipeline.Error

// errorf builds an *Error at pos.
func errorf(pos pipeline.Pos, hint, format string, args ...any) *Error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...), Hint: hint}
}

// Errors collects every *Error found in err (which may be joined).
func Errors(err error) []*Error { return pipeline.Errors(err) }
