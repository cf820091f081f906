package plan

import (
	"fmt"
	"strings"

	"github.com/gantry-ci/gantry/internal/pipeline"
)

// Error is a problem the planner found in a pipeline for one trigger: a
// need on a job that is not in the pipeline, a bad rules:if, a bad
// start_in. It says where, what, and how to fix it.
type Error struct {
	Pos  pipeline.Pos
	Job  string
	Msg  string
	Hint string
}

func (e *Error) Error() string {
	var b strings.Builder
	if s := e.Pos.String(); s != "" {
		b.WriteString(s)
		b.WriteString(": ")
	}
	if e.Job != "" {
		fmt.Fprintf(&b, "job %q: ", e.Job)
	}
	b.WriteString(e.Msg)
	if e.Hint != "" {
		b.WriteString(" (")
		b.WriteString(e.Hint)
		b.WriteString(")")
	}
	return b.String()
}

// noPipeline wraps ErrNoPipeline with the reason and where it was decided.
func noPipeline(pos pipeline.Pos, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if s := pos.String(); s != "" {
		msg = s + ": " + msg
	}
	return fmt.Errorf("%w: %s", ErrNoPipeline, msg)
}
