package scheduler

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestResourceGroupsSharedWithChildren runs a parent job and a child
// pipeline's job of one resource_group, all ready at once: with the
// groups shared (as gantry run shares them) they never overlap; each run
// with its own groups, they do, which shows the test can tell.
func TestResourceGroupsSharedWithChildren(t *testing.T) {
	tests := []struct {
		name    string
		shared  bool
		overlap bool
	}{
		{"shared groups serialize parent and child", true, false},
		{"groups of each run alone do not", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := map[string]behavior{}
			for _, n := range []string{"deploy", "child-deploy", "nested-deploy"} {
				b[n] = behavior{sleep: 150 * time.Millisecond}
			}
			fake := newFake(b)
			cfg := Config{Backend: fake, Slots: NewSlots(4), WorkDir: t.TempDir()}
			if tt.shared {
				cfg.ResourceGroups = NewResourceGroups()
			}
			cfg.Downstream = childRunner(cfg, map[string][]testJob{
				"kid":    {tj("child-deploy", "build", resource("production")), tj("nested", "build", trigger("", "n.yml"))},
				"nested": {tj("nested-deploy", "build", resource("production"))},
			})
			p := mkPlan(stages3, tj("deploy", "build", resource("production")), tj("kid", "build", trigger("", "c.yml")))
			res := runWithin(t, context.Background(), 20*time.Second, cfg, p)
			if res.Status != StatusSuccess {
				t.Fatalf("pipeline %s", res.Status)
			}
			names := []string{"deploy", "child-deploy", "nested-deploy"}
			overlap := false
			for i, a := range names {
				for _, c := range names[i+1:] {
					if fake.starts[a].Before(fake.ends[c]) && fake.starts[c].Before(fake.ends[a]) {
						overlap = true
					}
				}
			}
			if overlap != tt.overlap {
				t.Errorf("jobs of one resource group overlapped: %v, want %v (starts %v, ends %v)", overlap, tt.overlap, fake.starts, fake.ends)
			}
		})
	}
}

// TestResourceGroupHeldByTrigger: a child's job in the resource group its
// own trigger job holds would wait for ever; it fails at once (a warning
// if it may fail) and what needs it is skipped.
func TestResourceGroupHeldByTrigger(t *testing.T) {
	fake := newFake(map[string]behavior{})
	cfg := Config{Backend: fake, HeldResourceGroups: []string{"production"}, WorkDir: t.TempDir()}
	p := mkPlan(stages3,
		tj("deploy", "build", resource("production")),
		tj("maybe", "build", resource("production"), allowFailure()),
		tj("other", "build", resource("staging")),
		tj("after", "test"))
	res := runWithin(t, context.Background(), 10*time.Second, cfg, p)
	want := map[string]string{"deploy": "failed", "maybe": "warning", "other": "success", "after": "skipped"}
	if diff := cmp.Diff(want, statuses(res)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if r := res.Jobs[0].Reason; r == "" {
		t.Error("deploy failed without a reason")
	}
}

// TestResourceGroupWaitingRunSeesCancel: a child's job waiting for a
// group the parent's blocking job holds is canceled with the run.
func TestResourceGroupWaitingRunSeesCancel(t *testing.T) {
	fake := newFake(map[string]behavior{"hold": {block: true}})
	cfg := Config{Backend: fake, Slots: NewSlots(4), ResourceGroups: NewResourceGroups(), WorkDir: t.TempDir()}
	cfg.Downstream = childRunner(cfg, map[string][]testJob{"t": {tj("c1", "build", resource("g"))}})
	p := mkPlan(stages3, tj("hold", "build", resource("g")), tj("t", "build", trigger("", "c.yml")))
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	res := runWithin(t, ctx, 10*time.Second, cfg, p)
	got := statuses(res)
	for name, st := range statuses(res.Jobs[1].Downstream) {
		got["t/"+name] = st
	}
	want := map[string]string{"hold": "canceled", "t": "canceled", "t/c1": "canceled"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
}

// TestDownstreamEventsKeepTheirPipeline: events a child pipeline reports
// through Downstream.Emit keep its id and their parent fields.
func TestDownstreamEventsKeepTheirPipeline(t *testing.T) {
	cfg := Config{Backend: newFake(map[string]behavior{}), PipelineID: "1"}
	cfg.Downstream = func(ctx context.Context, d *Downstream) DownstreamResult {
		d.Emit(Event{Kind: KindJobLog, Pipeline: "2", ParentPipeline: d.Pipeline, Trigger: d.Job.Name, Job: "[kid] -> x", Text: "hi\n"})
		return DownstreamResult{Status: StatusSuccess}
	}
	_, rec := runPlan(t, cfg, mkPlan(stages3, tj("kid", "build", trigger("", "c.yml"))))
	got := rec.of(KindJobLog, "[kid] -> x")
	want := []string{"2 1 kid"}
	var lines []string
	for _, e := range got {
		lines = append(lines, e.Pipeline+" "+e.ParentPipeline+" "+e.Trigger)
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("child events (-want +got):\n%s", diff)
	}
	if e := rec.of(KindJobStarted, "kid"); len(e) != 1 || e[0].Pipeline != "1" || e[0].ParentPipeline != "" {
		t.Errorf("trigger job's events: %+v", e)
	}
}
