package gantryfile

import "github.com/gantry-ci/gantry/internal/pipeline"

// Error is a problem in gantry.yml: where, what, and how to fix it. It is
// the pipeline files' error type, so the CLI reports both alike.
type Error = pipeline.Error

// Errors returns every *Error in err (as Parse joins them).
func Errors(err error) []*Error { return pipeline.Errors(err) }
