package scheduler

import (
	"context"
	"io"

	"github.com/gantry-ci/gantry/internal/plan"
)

// Hooks let other packages take part in each job attempt without the
// scheduler knowing about workspaces, artifacts, caches or reports. Both
// methods are called from the goroutine running the job, concurrently for
// different jobs.
type Hooks interface {
	// BeforeJob runs before the executor prepares the attempt: it fills the
	// workspace (sources, artifacts of dependencies, cache) and may set
	// jc.Workspace, add jc.Variables (dotenv of dependencies) and set
	// jc.Tap. An error fails the attempt (unmet_prerequisites).
	BeforeJob(ctx context.Context, jc *JobContext) error
	// AfterJob runs after the attempt's steps, whatever their outcome (see
	// res.Status): it saves artifacts and cache and reads reports. It may
	// set res.Coverage and res.Tests. An error fails an attempt that
	// had succeeded, with the error as the reason.
	AfterJob(ctx context.Context, jc *JobContext, res *AttemptResult) error
}

// JobContext is one attempt of a job as the hooks see it.
type JobContext struct {
	Pipeline string
	Job      *plan.Job
	Attempt  int
	// Workspace is the job's directory on the host. It starts as
	// Config.WorkDir; BeforeJob may point it elsewhere.
	Workspace string
	// Variables are added after the plan's variables (later wins).
	Variables []plan.Variable
	// Tap, when set by BeforeJob, receives the attempt's masked log as it
	// is written (for the coverage: regex or a log file).
	Tap io.Writer
	// Notice writes a line of gantry's own output for this job (e.g.
	// "Restoring cache"). Safe to call from the hooks only.
	Notice func(text string)
}

// AttemptResult is the outcome of one attempt, as AfterJob sees it.
type AttemptResult struct {
	// Status is success, failed or canceled; the scheduler decides later
	// whether a failure is allowed (warning) or retried.
	Status   Status
	ExitCode int
	Failure  Failure
	Reason   string
	// AfterScriptFailed: after_script failed or timed out.
	AfterScriptFailed bool
	Coverage          *float64
	Tests             *TestCount
}
