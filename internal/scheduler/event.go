package scheduler

import (
	"time"

	"github.com/gantry-ci/gantry/internal/pipeline"
)

// Kind says what an Event reports.
type Kind string

// The kinds of events, in the order a consumer sees them: pipeline.created,
// then job.created for every job in plan order, then per job any number of
// job.status, and per attempt job.started, job.log / job.notice, and
// job.finished; finally pipeline.finished. A child pipeline's events, in
// that order too, come between its trigger job's job.started and
// job.finished, with ParentPipeline set.
const (
	KindPipelineCreated  Kind = "pipeline.created"
	KindPipelineFinished Kind = "pipeline.finished"
	KindJobCreated       Kind = "job.created"
	// KindJobStatus: a job changed state without running (pending,
	// scheduled, waiting_for_resource) or ended without running (skipped,
	// manual, canceled before start).
	KindJobStatus   Kind = "job.status"
	KindJobStarted  Kind = "job.started"
	KindJobLog      Kind = "job.log"
	KindJobNotice   Kind = "job.notice"
	KindJobFinished Kind = "job.finished"
)

// Event is one thing that happened in a pipeline run. Fields that do not
// apply to a Kind are zero. Events are plain data: they can be encoded as
// JSON lines, stored, or rendered.
type Event struct {
	Kind     Kind      `json:"kind"`
	Time     time.Time `json:"time"`
	Pipeline string    `json:"pipeline"`
	// ParentPipeline and Trigger are set on the events of a child
	// pipeline (Pipeline is the child's): the pipeline whose trigger job
	// ran it and that job's name, as its own events name it. A consumer
	// nests the child under the job whose events have Pipeline ==
	// ParentPipeline and Job == Trigger.
	ParentPipeline string `json:"parent_pipeline,omitempty"`
	Trigger        string `json:"trigger,omitempty"`

	// Stages are the pipeline's stages, on pipeline.created.
	Stages []string `json:"stages,omitempty"`

	Job        string `json:"job,omitempty"`
	Stage      string `json:"stage,omitempty"`
	StageIndex int    `json:"stage_index,omitempty"`
	// When is the job's resolved when: (on job.created).
	When pipeline.When `json:"when,omitempty"`
	// Attempt counts from 1; set on job.started, job.log, job.notice and
	// job.finished.
	Attempt int    `json:"attempt,omitempty"`
	Status  Status `json:"status"`

	// Text is the output chunk (job.log: masked, one or more whole lines
	// unless a line is very long or the output ends without a newline) or
	// the message (job.notice: gantry's own words, not the job's output).
	Text string `json:"text,omitempty"`
	// Warning marks a job.notice the user should see (after_script failed).
	Warning bool `json:"warning,omitempty"`

	// StartedAt is when the attempt started (job.finished) or the pipeline
	// started (pipeline.finished).
	StartedAt time.Time     `json:"started_at,omitzero"`
	Duration  time.Duration `json:"duration,omitempty"`
	// ExitCode is the script's exit code; -1 when it did not exit by itself
	// (timeout, cancel, executor error).
	ExitCode int `json:"exit_code"`
	// Reason says why a job failed, was skipped or canceled, for humans:
	// "exit code 1", "timed out after 10s", "needs build, which failed".
	Reason string `json:"reason,omitempty"`
	// Failure is the machine-readable failure reason (retry:when names).
	Failure Failure `json:"failure,omitempty"`
	// Retrying is set on the job.finished of an attempt that is retried.
	Retrying bool `json:"retrying,omitempty"`
	// AfterScriptFailed reports that after_script failed or timed out (the
	// job's status is not affected).
	AfterScriptFailed bool `json:"after_script_failed,omitempty"`
	// Coverage and Tests are filled by the after-job hook.
	Coverage *float64   `json:"coverage,omitempty"`
	Tests    *TestCount `json:"tests,omitempty"`
}

// TestCount summarises a job's test reports.
type TestCount struct {
	Total   int `json:"total"`
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
	Errors  int `json:"errors"`
	// FailedNames lists failed tests for display, capped by the hook.
	FailedNames []string `json:"failed_names,omitempty"`
}
