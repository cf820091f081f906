package scheduler

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gantry-ci/gantry/internal/plan"
)

// Downstream is a trigger: job's child pipeline as Config.Downstream sees
// it.
type Downstream struct {
	// Pipeline is the id of the run the trigger job belongs to.
	Pipeline string
	Job      *plan.Job
	// Emit reports an event of the child pipeline in this run's stream
	// (Pipeline when empty and Time when zero are set; the child's own
	// scheduler sets its id). Safe for concurrent use.
	Emit func(Event)
	// Notice writes a line of gantry's own words in the trigger job's log.
	Notice func(text string)
}

// DownstreamResult is the outcome of a trigger: job's child pipeline.
type DownstreamResult struct {
	// Status is the trigger job's: success, failed or canceled.
	Status Status
	// Reason says why, unless it succeeded.
	Reason string
	// Child is the child pipeline's result, its jobs named as its
	// events name them ("[trigger] -> job"), nested children in their
	// trigger jobs' JobResult.Downstream; nil when no child ran (it could
	// not be created). It becomes the trigger job's JobResult.Downstream.
	Child *Result
}

// DownstreamFunc runs the child pipeline of a trigger: job to its end. Its
// context is the run's: canceling the run cancels the child, whose jobs
// the func must end (canceled) before it returns.
type DownstreamFunc func(ctx context.Context, d *Downstream) DownstreamResult

// runsDownstream reports whether this run runs j's child pipeline.
func (r *run) runsDownstream(j *plan.Job) bool {
	return r.s.cfg.Downstream != nil && j.Spec != nil && j.Spec.Trigger != nil && j.Spec.Trigger.Project == ""
}

// downstream runs a trigger: job: its child pipeline through
// Config.Downstream, as one attempt (GitLab does not retry bridges).
func (r *run) downstream(ctx context.Context, j *plan.Job) JobResult {
	started := time.Now()
	r.ev.emit(Event{Kind: KindJobStarted, Time: started, Job: j.Name, Stage: j.Stage, StageIndex: j.StageIndex,
		Attempt: 1, Status: StatusRunning, ExitCode: -1})
	notice := func(text string) {
		r.ev.emit(Event{Kind: KindJobNotice, Job: j.Name, Stage: j.Stage, StageIndex: j.StageIndex, Attempt: 1,
			Text: maskString(text, r.s.cfg.Secrets), ExitCode: -1})
	}
	out := r.s.cfg.Downstream(ctx, &Downstream{Pipeline: r.id, Job: j, Emit: r.ev.emit, Notice: notice})
	res := JobResult{Name: j.Name, Stage: j.Stage, Status: out.Status, ExitCode: -1, Reason: out.Reason,
		Attempts: 1, Started: started, Duration: time.Since(started), Downstream: out.Child}
	switch {
	case out.Status == StatusSuccess:
		res.ExitCode = 0
	case ctx.Err() != nil:
		res.Status, res.Reason = StatusCanceled, "canceled"
	case out.Status == StatusFailed:
		res.Failure = FailureUnknown
		if allowedFailure(j, AttemptResult{Status: out.Status, ExitCode: -1}) {
			res.Status = StatusWarning
		}
	}
	r.ev.emit(Event{Kind: KindJobFinished, Job: j.Name, Stage: j.Stage, StageIndex: j.StageIndex, Attempt: 1,
		Status: res.Status, StartedAt: started, Duration: res.Duration, ExitCode: res.ExitCode,
		Reason: res.Reason, Failure: res.Failure})
	return res
}

// triggerReason is why a trigger: job does not run; "" for other jobs and
// for child pipelines this run runs.
func (r *run) triggerReason(j *plan.Job) string {
	if j.Spec == nil || j.Spec.Trigger == nil || r.runsDownstream(j) {
		return ""
	}
	t := j.Spec.Trigger
	if t.Project != "" {
		return fmt.Sprintf("trigger: multi-project pipelines are not supported yet (%s was not triggered)", t.Project)
	}
	what := "the child pipeline"
	if files := t.Files(); len(files) > 0 {
		what = strings.Join(files, ", ")
	}
	return fmt.Sprintf("trigger: child pipelines are not supported yet (%s was not run)", what)
}
