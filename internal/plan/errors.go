package plan

import (
	"fmt"

	"github.com/gantry-ci/gantry/internal/pipeline"
)

// Error is a problem the planner found in a pipeline for one trigger: a
// need on a job that is not in the pipeline, a bad rules:if, a bad
// start_in, variables that refer to each other in a circle. It says where,
// what, and how to fix it.
type Error struct {
	Pos  pipeline.Pos
	Job  string
	Msg  string
	Hint string
}

// Error reads as a pipeline.Error does, the job named before the message.
func (e *Error) Error() string { return e.pipelineError().Error() }

// pipelineError is e as the pipeline model reports problems.
func (e *Error) pipelineError() *pipeline.Error {
	msg := e.Msg
	if e.Job != "" {
		msg = fmt.Sprintf("job %q: %s", e.Job, msg)
	}
	return &pipeline.Error{Pos: e.Pos, Msg: msg, Hint: e.Hint}
}

// noPipeline wraps ErrNoPipeline with the reason and where it was decided.
func noPipeline(pos pipeline.Pos, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if s := pos.String(); s != "" {
		msg = s + ": " + msg
	}
	return fmt.Errorf("%w: %s", ErrNoPipeline, msg)
}
