package scheduler

import (
	"context"
	"testing"

	"github.com/gantry-ci/gantry/internal/pipeline"
	"github.com/google/go-cmp/cmp"
)

func TestDownstream(t *testing.T) {
	tests := []struct {
		name string
		// child is the status the child pipeline's runner returns.
		child    Status
		opts     []jobOpt
		want     map[string]string
		pipeline string
	}{
		{"child passed", StatusSuccess, nil,
			map[string]string{"build": "success", "child": "success", "after": "success", "other": "skipped"}, "success"},
		{"child failed", StatusFailed, nil,
			map[string]string{"build": "success", "child": "failed", "after": "skipped", "other": "skipped"}, "failed"},
		{"child failed, allowed", StatusFailed, []jobOpt{allowFailure()},
			map[string]string{"build": "success", "child": "warning", "after": "success", "other": "skipped"}, "success"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seen []string
			down := func(ctx context.Context, d *Downstream) DownstreamResult {
				seen = append(seen, d.Job.Name)
				d.Notice("starting the child")
				d.Emit(Event{Kind: KindJobLog, Job: "[child] -> test", Text: "from the child\n"})
				if tt.child != StatusSuccess {
					return DownstreamResult{Status: tt.child, Reason: "the child pipeline failed"}
				}
				return DownstreamResult{Status: tt.child}
			}
			opts := append([]jobOpt{trigger("", "child.yml")}, tt.opts...)
			p := mkPlan(stages3, tj("build", "build"), tj("child", "test", opts...),
				tj("other", "test", trigger("group/project")), tj("after", "deploy", needs("child")))
			res, rec := runPlan(t, Config{Backend: newFake(nil), Concurrency: 2, Downstream: down}, p)
			if diff := cmp.Diff(tt.want, statuses(res)); diff != "" {
				t.Errorf("job statuses (-want +got):\n%s", diff)
			}
			if got := res.Status.String(); got != tt.pipeline {
				t.Errorf("pipeline status = %s, want %s", got, tt.pipeline)
			}
			if diff := cmp.Diff([]string{"child"}, seen); diff != "" {
				t.Errorf("downstream runs (-want +got):\n%s", diff)
			}
			if got := rec.log("[child] -> test"); got != "from the child\n" {
				t.Errorf("child log = %q", got)
			}
			if n := len(rec.of(KindJobNotice, "child")); n != 1 {
				t.Errorf("%d notices on the trigger job, want 1", n)
			}
			checkEventOrder(t, rec)
		})
	}
}

func TestDownstreamManualTriggerWaits(t *testing.T) {
	called := false
	down := func(context.Context, *Downstream) DownstreamResult {
		called = true
		return DownstreamResult{Status: StatusSuccess}
	}
	p := mkPlan(stages3, tj("child", "test", trigger("", "child.yml"), when(pipeline.WhenManual)))
	res, _ := runPlan(t, Config{Backend: newFake(nil), Downstream: down}, p)
	if called || res.Jobs[0].Status != StatusManual {
		t.Errorf("manual trigger job: ran %v, status %s", called, res.Jobs[0].Status)
	}
}
