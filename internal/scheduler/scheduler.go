// Package scheduler runs a plan.Plan through an executor backend and reports
// what happens as events. It does not print, store or serve: the terminal
// view, the server's store and its live log stream all consume the same
// events.
//
// Jobs form a DAG: a job starts as soon as the jobs it needs (plan.Job.Needs,
// which lists every job of earlier stages for a job without needs:) are
// finished, within a concurrency limit, one job at a time per
// resource_group. when:, allow_failure (with exit_codes), retry (max, when,
// exit_codes), timeouts and after_script follow GitLab's documented
// behaviour.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/gantry-ci/gantry/internal/executor"
	"github.com/gantry-ci/gantry/internal/plan"
)

// Defaults for Config.
const (
	// DefaultTimeout is GitLab's default job timeout.
	DefaultTimeout = time.Hour
	// DefaultAfterScriptTimeout is GitLab's after_script time limit.
	DefaultAfterScriptTimeout = 5 * time.Minute
	// DefaultHookTimeout bounds cleanup and after-job hooks once the job's
	// own context is gone.
	DefaultHookTimeout = 10 * time.Minute
)

// Config configures a Scheduler. Backend is required.
type Config struct {
	Backend executor.Backend
	// Hooks may be nil.
	Hooks Hooks
	// OnEvent receives every event. Calls are serialized (never two at
	// once) and ordered; it must return quickly, as it holds up the job
	// whose output it is handed. Event values are the callee's to keep.
	OnEvent func(Event)
	// Concurrency is the most jobs running at once; default NumCPU.
	// Trigger: jobs whose child pipeline runs (Downstream) do not count:
	// they only wait for their child's jobs, which do.
	Concurrency int
	// Slots, when set, replaces Concurrency with a limit shared by every
	// run given the same Slots: a pipeline and its child pipelines. Nil:
	// each run has Concurrency slots of its own.
	Slots *Slots
	// ResourceGroups, when set, are the resource_group locks shared by
	// every run given the same ones: a pipeline and its child pipelines,
	// as a GitLab resource group is the project's. Nil: each run has its
	// own.
	ResourceGroups *ResourceGroups
	// HeldResourceGroups are the resource groups that the trigger jobs
	// above this run (a child pipeline) hold while it runs. A job of this
	// run in one of them would wait for its own trigger job, which waits
	// for it: it fails at once instead (GitLab leaves both waiting).
	HeldResourceGroups []string
	// DefaultTimeout applies to jobs without timeout:; default
	// DefaultTimeout.
	DefaultTimeout time.Duration
	// AfterScriptTimeout bounds after_script; default
	// DefaultAfterScriptTimeout.
	AfterScriptTimeout time.Duration
	// Manual names the manual jobs to play.
	Manual []string
	// Secrets are masked in all output, beside the masked variables.
	Secrets []string
	// LogLimit caps each attempt's log in bytes; 0 means no cap.
	LogLimit int64
	// Color echoes commands in GitLab's colours.
	Color bool
	// WorkDir is the default job workspace (a hook usually sets one per
	// job); default the current directory.
	WorkDir string
	// PipelineID names the run in events and executor jobs; default a
	// timestamp.
	PipelineID string
	// Downstream runs the child pipelines of trigger:include jobs; nil
	// leaves trigger: jobs skipped, with the reason.
	Downstream DownstreamFunc
	// Terminal is where @Interactive jobs' steps are attached (gantry
	// run's own stdin, stdout and stderr); such a job then runs alone.
	// Nil (a server has no terminal): they run like any other job.
	Terminal *executor.Terminal
}

// Scheduler runs pipelines. It holds no per-run state: one Scheduler can run
// several pipelines, concurrently.
type Scheduler struct {
	cfg    Config
	manual map[string]bool
}

// New returns a Scheduler for cfg with defaults filled in.
func New(cfg Config) (*Scheduler, error) {
	if cfg.Backend == nil {
		return nil, errors.New("new scheduler: no executor backend")
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = runtime.NumCPU()
	}
	if cfg.DefaultTimeout <= 0 {
		cfg.DefaultTimeout = DefaultTimeout
	}
	if cfg.AfterScriptTimeout <= 0 {
		cfg.AfterScriptTimeout = DefaultAfterScriptTimeout
	}
	if cfg.WorkDir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, fmt.Errorf("new scheduler: %w", err)
		}
		cfg.WorkDir = wd
	}
	if cfg.OnEvent == nil {
		cfg.OnEvent = func(Event) {}
	}
	s := &Scheduler{cfg: cfg, manual: map[string]bool{}}
	for _, m := range cfg.Manual {
		s.manual[m] = true
	}
	return s, nil
}

// Result is the outcome of a pipeline run.
type Result struct {
	Pipeline string
	// Status is success (warnings allowed), failed or canceled.
	Status   Status
	Started  time.Time
	Duration time.Duration
	// Jobs in plan order, with their final attempt's outcome.
	Jobs []JobResult
}

// JobResult is a job's final state.
type JobResult struct {
	Name     string
	Stage    string
	Status   Status
	ExitCode int
	Reason   string
	Failure  Failure
	// Attempts is how many times the job ran (0 if it never started).
	Attempts          int
	Started           time.Time
	Duration          time.Duration
	AfterScriptFailed bool
	Coverage          *float64
	Tests             *TestCount
	// Downstream is the child pipeline a trigger: job ran, nil if none
	// ran (see DownstreamResult.Child).
	Downstream *Result
}

// Run runs p to its end and returns its result. Canceling ctx (Ctrl-C)
// stops running jobs, cancels those not started, and still emits every
// final event before Run returns. The error is for misuse only (a plan
// whose needs name unknown jobs or form a cycle); job failures are in the
// Result.
func (s *Scheduler) Run(ctx context.Context, p *plan.Plan) (*Result, error) {
	r, err := newRun(s, p)
	if err != nil {
		return nil, err
	}
	return r.run(ctx), nil
}

// emitter serializes events to the consumer.
type emitter struct {
	mu       sync.Mutex
	fn       func(Event)
	pipeline string
}

func (e *emitter) emit(ev Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	// A child pipeline's events, forwarded through Downstream.Emit, keep
	// the child's id.
	if ev.Pipeline == "" {
		ev.Pipeline = e.pipeline
	}
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	e.fn(ev)
}
