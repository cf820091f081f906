package scheduler

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gantry-ci/gantry/internal/executor"
	"github.com/gantry-ci/gantry/internal/pipeline"
	"github.com/gantry-ci/gantry/internal/plan"
)

// behavior scripts what the fake backend does for one job.
type behavior struct {
	// exits per attempt; the last one repeats. Empty means 0.
	exits []int
	// sleep before exiting; a job sleeps until ctx is done if block is set.
	sleep time.Duration
	block bool
	// output is written in pieces of chunk bytes (all at once if 0).
	output string
	chunk  int
	// afterExit is after_script's exit code.
	afterExit int
}

// fakeBackend runs no process: it follows behaviors and records what ran.
type fakeBackend struct {
	mu        sync.Mutex
	behaviors map[string]behavior
	attempts  map[string]int
	starts    map[string]time.Time
	ends      map[string]time.Time
	order     []string
	running   int
	maxRun    int
	afterEnv  map[string]string // job -> after_script script text
}

func newFake(b map[string]behavior) *fakeBackend {
	return &fakeBackend{behaviors: b, attempts: map[string]int{}, starts: map[string]time.Time{},
		ends: map[string]time.Time{}, afterEnv: map[string]string{}}
}

func (f *fakeBackend) Name() string { return "fake" }

func (f *fakeBackend) Prepare(ctx context.Context, job *executor.Job) (executor.Session, error) {
	return &fakeSession{f: f, job: job}, nil
}

type fakeSession struct {
	f   *fakeBackend
	job *executor.Job
}

func (s *fakeSession) Paths() executor.Paths {
	return executor.Paths{ProjectDir: "/builds/" + s.job.Name, TempDir: "/builds/tmp"}
}

func (s *fakeSession) Run(ctx context.Context, step *executor.Step, out io.Writer) (int, error) {
	f := s.f
	name := s.job.Name
	f.mu.Lock()
	b := f.behaviors[name]
	if step.Name == executor.StepAfterScript {
		f.afterEnv[name] = step.Script
		f.mu.Unlock()
		return b.afterExit, nil
	}
	f.attempts[name]++
	attempt := f.attempts[name]
	if _, ok := f.starts[name]; !ok {
		f.starts[name] = time.Now()
	}
	f.order = append(f.order, name)
	f.running++
	f.maxRun = max(f.maxRun, f.running)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.running--
		f.ends[name] = time.Now()
		f.mu.Unlock()
	}()

	for p := b.output; len(p) > 0; {
		n := len(p)
		if b.chunk > 0 {
			n = min(n, b.chunk)
		}
		if _, err := io.WriteString(out, p[:n]); err != nil {
			return -1, err
		}
		p = p[n:]
	}
	if b.block {
		<-ctx.Done()
		return -1, fmt.Errorf("%w: %w", executor.ErrStopped, context.Cause(ctx))
	}
	if b.sleep > 0 {
		select {
		case <-time.After(b.sleep):
		case <-ctx.Done():
			return -1, fmt.Errorf("%w: %w", executor.ErrStopped, context.Cause(ctx))
		}
	}
	code := 0
	if len(b.exits) > 0 {
		code = b.exits[min(attempt, len(b.exits))-1]
	}
	return code, nil
}

func (s *fakeSession) Cleanup(ctx context.Context) error { return nil }

// jobOpt adjusts a test job.
type jobOpt func(*plan.Job)

func needs(names ...string) jobOpt {
	return func(j *plan.Job) {
		j.Needs = []plan.Need{}
		for _, n := range names {
			j.Needs = append(j.Needs, plan.Need{Job: n, Artifacts: true})
		}
		j.Implicit = false
	}
}

func when(w pipeline.When) jobOpt { return func(j *plan.Job) { j.When = w } }

func allowFailure(codes ...int) jobOpt {
	return func(j *plan.Job) {
		j.AllowFailure = pipeline.AllowFailure{Set: true, Allowed: len(codes) == 0, ExitCodes: codes}
	}
}

func forbidFailure() jobOpt {
	return func(j *plan.Job) { j.AllowFailure = pipeline.AllowFailure{Set: true} }
}

func retry(max int, whens []string, codes ...int) jobOpt {
	return func(j *plan.Job) { j.Spec.Retry = pipeline.Retry{Max: max, When: whens, ExitCodes: codes} }
}

func trigger(project string, include ...string) jobOpt {
	return func(j *plan.Job) {
		t := &pipeline.Trigger{Project: project}
		for _, f := range include {
			t.Includes = append(t.Includes, pipeline.TriggerInclude{Kind: "local", File: f})
		}
		j.Spec.Trigger = t
	}
}

func resource(g string) jobOpt { return func(j *plan.Job) { j.Spec.ResourceGroup = g } }

func afterScript(cmds ...string) jobOpt { return func(j *plan.Job) { j.Spec.AfterScript = cmds } }

func timeout(d time.Duration) jobOpt { return func(j *plan.Job) { j.Spec.Timeout = d } }

func startIn(d time.Duration) jobOpt {
	return func(j *plan.Job) { j.When = pipeline.WhenDelayed; j.StartIn = d }
}

func variable(name, value string, masked bool) jobOpt {
	return func(j *plan.Job) {
		j.Variables = append(j.Variables, plan.Variable{Name: name, Value: value, Masked: masked})
	}
}

type testJob struct {
	name, stage string
	opts        []jobOpt
}

func tj(name, stage string, opts ...jobOpt) testJob { return testJob{name, stage, opts} }

// mkPlan builds a plan the way the planner does: jobs without needs: need
// every job of the earlier stages.
func mkPlan(stages []string, jobs ...testJob) *plan.Plan {
	p := &plan.Plan{Stages: stages}
	idx := map[string]int{}
	for i, s := range stages {
		idx[s] = i
	}
	for _, t := range jobs {
		j := &plan.Job{Name: t.name, Stage: t.stage, StageIndex: idx[t.stage], Implicit: true,
			Spec: &pipeline.Job{Name: t.name, Stage: t.stage, Script: []string{"echo " + t.name}}}
		for _, o := range t.opts {
			o(j)
		}
		p.Jobs = append(p.Jobs, j)
	}
	for _, j := range p.Jobs {
		if !j.Implicit {
			continue
		}
		for _, k := range p.Jobs {
			if k.StageIndex < j.StageIndex {
				j.Needs = append(j.Needs, plan.Need{Job: k.Name, Artifacts: true})
			}
		}
	}
	return p
}

// recorder collects events and checks they are never delivered concurrently.
type recorder struct {
	mu     sync.Mutex
	events []Event
}

func (r *recorder) on(e Event) {
	if !r.mu.TryLock() {
		panic("OnEvent called concurrently")
	}
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) of(kind Kind, job string) []Event {
	var out []Event
	for _, e := range r.events {
		if e.Kind == kind && (job == "" || e.Job == job) {
			out = append(out, e)
		}
	}
	return out
}

func (r *recorder) log(job string) string {
	var b strings.Builder
	for _, e := range r.of(KindJobLog, job) {
		b.WriteString(e.Text)
	}
	return b.String()
}

func runPlan(t *testing.T, cfg Config, p *plan.Plan) (*Result, *recorder) {
	t.Helper()
	rec := &recorder{}
	cfg.OnEvent = rec.on
	if cfg.WorkDir == "" {
		cfg.WorkDir = t.TempDir()
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Run(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return res, rec
}

func statuses(res *Result) map[string]string {
	m := map[string]string{}
	for _, j := range res.Jobs {
		m[j.Name] = j.Status.String()
	}
	return m
}
