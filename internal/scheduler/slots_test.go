package scheduler

import (
	"context"
	"testing"
	"time"

	"github.com/gantry-ci/gantry/internal/plan"
	"github.com/google/go-cmp/cmp"
)

// childRunner returns a DownstreamFunc that runs, for each trigger job
// named in children, a child pipeline of those jobs through a scheduler
// made from base (same backend and Slots), nesting as the children say.
func childRunner(base Config, children map[string][]testJob) DownstreamFunc {
	var down DownstreamFunc
	down = func(ctx context.Context, d *Downstream) DownstreamResult {
		cfg := base
		cfg.Downstream = down
		cfg.PipelineID = "child-" + d.Job.Name
		cfg.OnEvent = func(ev Event) {}
		s, err := New(cfg)
		if err != nil {
			return DownstreamResult{Status: StatusFailed, Reason: err.Error()}
		}
		res, err := s.Run(ctx, mkPlan(stages3, children[d.Job.Name]...))
		if err != nil {
			return DownstreamResult{Status: StatusFailed, Reason: err.Error()}
		}
		if ctx.Err() != nil {
			return DownstreamResult{Status: StatusCanceled, Reason: "canceled", Child: res}
		}
		if res.Status != StatusSuccess {
			return DownstreamResult{Status: StatusFailed, Reason: "downstream pipeline " + res.Status.String(), Child: res}
		}
		return DownstreamResult{Status: StatusSuccess, Child: res}
	}
	return down
}

// runWithin runs p with cfg and fails the test if the run takes longer
// than limit (a deadlock).
func runWithin(t *testing.T, ctx context.Context, limit time.Duration, cfg Config, p *plan.Plan) *Result {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		res *Result
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := s.Run(ctx, p)
		done <- result{res, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatal(r.err)
		}
		return r.res
	case <-time.After(limit):
		t.Fatalf("run did not end within %s: deadlock?", limit)
		return nil
	}
}

func TestSlotsSharedWithChildren(t *testing.T) {
	tests := []struct {
		name string
		j    int
	}{
		{"one slot, nested children", 1},
		{"two slots", 2},
		{"three slots", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := map[string]behavior{}
			job := func(name string) testJob {
				b[name] = behavior{sleep: 20 * time.Millisecond}
				return tj(name, "build")
			}
			children := map[string][]testJob{
				"t1":     {job("c1"), job("c2"), job("c3"), tj("nested", "test", trigger("", "n.yml"))},
				"t2":     {job("c4"), job("c5")},
				"nested": {job("n1"), job("n2"), job("n3")},
			}
			fake := newFake(b)
			slots := NewSlots(tt.j)
			cfg := Config{Backend: fake, Slots: slots, WorkDir: t.TempDir()}
			cfg.Downstream = childRunner(cfg, children)
			p := mkPlan(stages3, job("a"), job("b"), tj("t1", "build", trigger("", "c.yml")),
				tj("t2", "build", trigger("", "c.yml")), job("z"))
			res := runWithin(t, context.Background(), 20*time.Second, cfg, p)
			if res.Status != StatusSuccess {
				t.Fatalf("pipeline %s", res.Status)
			}
			if fake.maxRun > tt.j {
				t.Errorf("%d jobs ran at once across the pipeline and its children, want at most %d", fake.maxRun, tt.j)
			}
			if got := len(fake.order); got != 11 {
				t.Errorf("%d jobs ran, want 11: %v", got, fake.order)
			}
			nested := res.Jobs[2].Downstream.Jobs[3].Downstream
			if nested == nil || len(nested.Jobs) != 3 || nested.Pipeline != "child-nested" {
				t.Errorf("nested child result: %+v", nested)
			}
		})
	}
}

func TestSlotsWaitingRunSeesCancel(t *testing.T) {
	// The child's jobs wait for the one slot the parent's blocking job
	// holds; a cancel ends both runs.
	fake := newFake(map[string]behavior{"hold": {block: true}, "c1": {}, "c2": {}})
	cfg := Config{Backend: fake, Slots: NewSlots(1), WorkDir: t.TempDir()}
	cfg.Downstream = childRunner(cfg, map[string][]testJob{"t": {tj("c1", "build"), tj("c2", "build")}})
	p := mkPlan(stages3, tj("t", "build", trigger("", "c.yml")), tj("hold", "build"))
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	res := runWithin(t, ctx, 10*time.Second, cfg, p)
	got := statuses(res)
	for name, st := range statuses(res.Jobs[0].Downstream) {
		got["t/"+name] = st
	}
	want := map[string]string{"t": "canceled", "hold": "canceled", "t/c1": "canceled", "t/c2": "canceled"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if len(fake.order) != 1 {
		t.Errorf("jobs that ran: %v, want only hold", fake.order)
	}
}
