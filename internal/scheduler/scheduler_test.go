package scheduler

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gantry-ci/gantry/internal/pipeline"
	"github.com/gantry-ci/gantry/internal/plan"
)

var stages3 = []string{"build", "test", "deploy"}

func TestSemantics(t *testing.T) {
	tests := []struct {
		name      string
		jobs      []testJob
		behaviors map[string]behavior
		manual    []string
		want      map[string]string
		pipeline  string
		attempts  map[string]int
		reasons   map[string]string
	}{
		{
			name:      "failing job stops later stages",
			jobs:      []testJob{tj("build", "build"), tj("other", "build"), tj("test", "test"), tj("deploy", "deploy")},
			behaviors: map[string]behavior{"build": {exits: []int{1}}},
			want:      map[string]string{"build": "failed", "other": "success", "test": "skipped", "deploy": "skipped"},
			pipeline:  "failed",
		},
		{
			name: "on_failure and always after a failure",
			jobs: []testJob{tj("build", "build"), tj("test", "test"),
				tj("rescue", "deploy", when(pipeline.WhenOnFailure)), tj("notify", "deploy", when(pipeline.WhenAlways))},
			behaviors: map[string]behavior{"build": {exits: []int{2}}},
			want:      map[string]string{"build": "failed", "test": "skipped", "rescue": "success", "notify": "success"},
			pipeline:  "failed",
		},
		{
			name: "on_failure skipped when all pass",
			jobs: []testJob{tj("build", "build"), tj("rescue", "test", when(pipeline.WhenOnFailure)),
				tj("deploy", "deploy")},
			want:     map[string]string{"build": "success", "rescue": "skipped", "deploy": "success"},
			pipeline: "success",
		},
		{
			name:      "allow_failure gives a warning and the pipeline passes",
			jobs:      []testJob{tj("lint", "build", allowFailure()), tj("test", "test")},
			behaviors: map[string]behavior{"lint": {exits: []int{1}}},
			want:      map[string]string{"lint": "warning", "test": "success"},
			pipeline:  "success",
		},
		{
			name:      "allow_failure exit_codes",
			jobs:      []testJob{tj("ok", "build", allowFailure(3, 4)), tj("bad", "build", allowFailure(3, 4))},
			behaviors: map[string]behavior{"ok": {exits: []int{3}}, "bad": {exits: []int{1}}},
			want:      map[string]string{"ok": "warning", "bad": "failed"},
			pipeline:  "failed",
		},
		{
			name:      "retry max 2 runs exactly 3 times",
			jobs:      []testJob{tj("flaky", "build", retry(2, nil))},
			behaviors: map[string]behavior{"flaky": {exits: []int{1}}},
			want:      map[string]string{"flaky": "failed"},
			pipeline:  "failed",
			attempts:  map[string]int{"flaky": 3},
		},
		{
			name:      "retry stops at the first success",
			jobs:      []testJob{tj("flaky", "build", retry(2, nil))},
			behaviors: map[string]behavior{"flaky": {exits: []int{1, 0}}},
			want:      map[string]string{"flaky": "success"},
			pipeline:  "success",
			attempts:  map[string]int{"flaky": 2},
		},
		{
			name: "retry when and exit_codes must match",
			jobs: []testJob{
				tj("code", "build", retry(2, nil, 137)),
				tj("reason", "build", retry(2, []string{"runner_system_failure"})),
				tj("match", "build", retry(1, []string{"script_failure"}, 137)),
			},
			behaviors: map[string]behavior{"code": {exits: []int{1}}, "reason": {exits: []int{1}}, "match": {exits: []int{137}}},
			want:      map[string]string{"code": "failed", "reason": "failed", "match": "failed"},
			pipeline:  "failed",
			attempts:  map[string]int{"code": 1, "reason": 1, "match": 2},
		},
		{
			name: "manual job not played does not block by default",
			jobs: []testJob{tj("build", "build"), tj("approve", "test", when(pipeline.WhenManual)),
				tj("deploy", "deploy")},
			want:     map[string]string{"build": "success", "approve": "manual", "deploy": "success"},
			pipeline: "success",
		},
		{
			name: "blocking manual job holds up later stages",
			jobs: []testJob{tj("build", "build"), tj("approve", "test", when(pipeline.WhenManual), forbidFailure()),
				tj("deploy", "deploy"), tj("after", "deploy", needs("deploy"))},
			want:     map[string]string{"build": "success", "approve": "manual", "deploy": "skipped", "after": "skipped"},
			pipeline: "success",
		},
		{
			name: "played manual job runs",
			jobs: []testJob{tj("build", "build"), tj("approve", "test", when(pipeline.WhenManual), forbidFailure()),
				tj("deploy", "deploy")},
			manual:   []string{"approve"},
			want:     map[string]string{"build": "success", "approve": "success", "deploy": "success"},
			pipeline: "success",
		},
		{
			name:     "explicit need on a job that did not run",
			jobs:     []testJob{tj("approve", "build", when(pipeline.WhenManual)), tj("deploy", "test", needs("approve"))},
			want:     map[string]string{"approve": "manual", "deploy": "skipped"},
			pipeline: "success",
		},
		{
			name:     "when never",
			jobs:     []testJob{tj("never", "build", when(pipeline.WhenNever)), tj("next", "test")},
			want:     map[string]string{"never": "skipped", "next": "success"},
			pipeline: "success",
		},
		{
			name: "trigger jobs do not run, and say why",
			jobs: []testJob{tj("build", "build"), tj("child", "test", trigger("", "child.yml")),
				tj("other", "test", trigger("group/project")), tj("after", "deploy", needs("child")),
				tj("manual-child", "test", trigger("", "x.yml"), when(pipeline.WhenManual))},
			want: map[string]string{"build": "success", "child": "skipped", "other": "skipped",
				"after": "skipped", "manual-child": "manual"},
			reasons: map[string]string{
				"child": "trigger: child pipelines are not supported yet (child.yml was not run)",
				"other": "trigger: multi-project pipelines are not supported yet (group/project was not triggered)",
			},
			pipeline: "success",
		},
		{
			name:      "failure propagates through skipped needs",
			jobs:      []testJob{tj("a", "build"), tj("b", "test", needs("a")), tj("c", "deploy", needs("b")), tj("r", "deploy", needs("b"), when(pipeline.WhenOnFailure))},
			behaviors: map[string]behavior{"a": {exits: []int{1}}},
			want:      map[string]string{"a": "failed", "b": "skipped", "c": "skipped", "r": "success"},
			pipeline:  "failed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(tt.behaviors)
			res, rec := runPlan(t, Config{Backend: fake, Manual: tt.manual, Concurrency: 4}, mkPlan(stages3, tt.jobs...))
			if diff := cmp.Diff(tt.want, statuses(res)); diff != "" {
				t.Errorf("job statuses (-want +got):\n%s", diff)
			}
			if got := res.Status.String(); got != tt.pipeline {
				t.Errorf("pipeline status = %s, want %s", got, tt.pipeline)
			}
			for _, j := range res.Jobs {
				if want, ok := tt.reasons[j.Name]; ok && j.Reason != want {
					t.Errorf("%s: reason %q, want %q", j.Name, j.Reason, want)
				}
			}
			for name, n := range tt.attempts {
				if fake.attempts[name] != n {
					t.Errorf("%s ran %d times, want %d", name, fake.attempts[name], n)
				}
				if got := len(rec.of(KindJobStarted, name)); got != n {
					t.Errorf("%s: %d job.started events, want %d", name, got, n)
				}
			}
			checkEventOrder(t, rec)
		})
	}
}

// checkEventOrder checks the event contract: pipeline.created first,
// pipeline.finished last, every job ends with exactly one final event.
func checkEventOrder(t *testing.T, rec *recorder) {
	t.Helper()
	ev := rec.events
	if len(ev) < 2 || ev[0].Kind != KindPipelineCreated || ev[len(ev)-1].Kind != KindPipelineFinished {
		t.Fatalf("events do not start with pipeline.created and end with pipeline.finished")
	}
	finals := map[string]int{}
	for _, e := range ev {
		if (e.Kind == KindJobFinished && !e.Retrying) || (e.Kind == KindJobStatus && e.Status.Final()) {
			finals[e.Job]++
		}
	}
	for _, e := range rec.of(KindJobCreated, "") {
		if finals[e.Job] != 1 {
			t.Errorf("job %s has %d final events, want 1", e.Job, finals[e.Job])
		}
	}
}

func TestNeedsStartEarly(t *testing.T) {
	fake := newFake(map[string]behavior{"slow": {sleep: 400 * time.Millisecond}})
	p := mkPlan(stages3, tj("fast", "build"), tj("slow", "build"), tj("unit", "test", needs("fast")), tj("e2e", "test"))
	res, _ := runPlan(t, Config{Backend: fake, Concurrency: 4}, p)
	if res.Status != StatusSuccess {
		t.Fatalf("pipeline %s", res.Status)
	}
	if !fake.starts["unit"].Before(fake.ends["slow"]) {
		t.Errorf("unit (needs fast) started after slow ended: DAG flattened to stages")
	}
	if fake.starts["e2e"].Before(fake.ends["slow"]) {
		t.Errorf("e2e (stage order) started before slow ended")
	}
}

func TestConcurrencyLimit(t *testing.T) {
	b := map[string]behavior{}
	var jobs []testJob
	for i := range 6 {
		n := string(rune('a' + i))
		b[n] = behavior{sleep: 40 * time.Millisecond}
		jobs = append(jobs, tj(n, "build"))
	}
	fake := newFake(b)
	runPlan(t, Config{Backend: fake, Concurrency: 2}, mkPlan(stages3, jobs...))
	if fake.maxRun != 2 {
		t.Errorf("max concurrent jobs = %d, want 2", fake.maxRun)
	}
}

func TestResourceGroupSerializes(t *testing.T) {
	fake := newFake(map[string]behavior{
		"d1": {sleep: 50 * time.Millisecond}, "d2": {sleep: 50 * time.Millisecond}, "d3": {sleep: 50 * time.Millisecond},
		"free": {sleep: 50 * time.Millisecond},
	})
	p := mkPlan(stages3, tj("d1", "deploy", resource("prod")), tj("d2", "deploy", resource("prod")),
		tj("d3", "deploy", resource("prod")), tj("free", "deploy"))
	_, rec := runPlan(t, Config{Backend: fake, Concurrency: 4}, p)
	names := []string{"d1", "d2", "d3"}
	for i, a := range names {
		for _, b := range names[i+1:] {
			if fake.starts[a].Before(fake.ends[b]) && fake.starts[b].Before(fake.ends[a]) {
				t.Errorf("%s and %s of one resource_group overlapped", a, b)
			}
		}
	}
	if fake.maxRun < 2 {
		t.Errorf("a job outside the group did not run beside the group")
	}
	waiting := 0
	for _, e := range rec.of(KindJobStatus, "") {
		if e.Status == StatusWaitingForResource {
			waiting++
		}
	}
	if waiting == 0 {
		t.Errorf("no waiting_for_resource event")
	}
}

func TestDelayedJob(t *testing.T) {
	fake := newFake(nil)
	p := mkPlan(stages3, tj("later", "build", startIn(100*time.Millisecond)))
	start := time.Now()
	res, rec := runPlan(t, Config{Backend: fake}, p)
	if res.Jobs[0].Status != StatusSuccess {
		t.Fatalf("status %s", res.Jobs[0].Status)
	}
	if d := fake.starts["later"].Sub(start); d < 100*time.Millisecond {
		t.Errorf("delayed job started after %v, want >= 100ms", d)
	}
	if rec.of(KindJobStatus, "later")[0].Status != StatusScheduled {
		t.Errorf("first status is not scheduled")
	}
}

func TestTimeoutReason(t *testing.T) {
	fake := newFake(map[string]behavior{"slow": {block: true}})
	res, rec := runPlan(t, Config{Backend: fake}, mkPlan(stages3, tj("slow", "build", timeout(100*time.Millisecond))))
	j := res.Jobs[0]
	if j.Status != StatusFailed || j.Reason != "timed out after 100ms" || j.Failure != FailureTimeout {
		t.Errorf("got %s %q %s", j.Status, j.Reason, j.Failure)
	}
	fin := rec.of(KindJobFinished, "slow")
	if len(fin) != 1 || fin[0].Reason != "timed out after 100ms" || fin[0].ExitCode != -1 {
		t.Errorf("job.finished = %+v", fin)
	}
}

func TestAfterScript(t *testing.T) {
	fake := newFake(map[string]behavior{"job": {exits: []int{3}, afterExit: 1}})
	res, rec := runPlan(t, Config{Backend: fake}, mkPlan(stages3, tj("job", "build", afterScript("echo cleanup"))))
	j := res.Jobs[0]
	if j.Status != StatusFailed || j.ExitCode != 3 || !j.AfterScriptFailed {
		t.Errorf("got %s exit %d after_script failed %v", j.Status, j.ExitCode, j.AfterScriptFailed)
	}
	if s := fake.afterEnv["job"]; !strings.Contains(s, `export CI_JOB_STATUS='\''failed'\''`) || !strings.Contains(s, "echo cleanup") {
		t.Errorf("after_script script lacks CI_JOB_STATUS or the command:\n%s", s)
	}
	var warned bool
	for _, e := range rec.of(KindJobNotice, "job") {
		warned = warned || (e.Warning && strings.Contains(e.Text, "after_script failed"))
	}
	if !warned {
		t.Errorf("no after_script warning notice")
	}
}

func TestMaskingAcrossWrites(t *testing.T) {
	const secret = "hunter2-very-secret"
	fake := newFake(map[string]behavior{"job": {output: "password is " + secret + "\nand " + secret + " again", chunk: 3}})
	p := mkPlan(stages3, tj("job", "build", variable("PASSWORD", secret, true)))
	_, rec := runPlan(t, Config{Backend: fake, Secrets: []string{"other-secret"}}, p)
	got := rec.log("job")
	if want := "password is [MASKED]\nand [MASKED] again"; got != want {
		t.Errorf("log = %q, want %q", got, want)
	}
}

func TestCancel(t *testing.T) {
	fake := newFake(map[string]behavior{"long": {block: true}})
	p := mkPlan(stages3, tj("long", "build"), tj("next", "test"), tj("delayed", "build", startIn(time.Hour)))
	rec := &recorder{}
	s, err := New(Config{Backend: fake, OnEvent: rec.on, WorkDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(100 * time.Millisecond)
		cancel()
	}()
	done := make(chan *Result)
	go func() {
		res, _ := s.Run(ctx, p)
		done <- res
	}()
	var res *Result
	select {
	case res = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	want := map[string]string{"long": "canceled", "next": "canceled", "delayed": "canceled"}
	if diff := cmp.Diff(want, statuses(res)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if res.Status != StatusCanceled {
		t.Errorf("pipeline %s, want canceled", res.Status)
	}
	checkEventOrder(t, rec)
}

func TestPlanErrors(t *testing.T) {
	tests := []struct {
		name string
		p    *plan.Plan
		want string
	}{
		{"unknown need", mkPlan(stages3, tj("a", "build", needs("ghost"))), `needs "ghost"`},
		{"cycle", mkPlan(stages3, tj("a", "build", needs("b")), tj("b", "build", needs("a"))), "cycle"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(Config{Backend: newFake(nil), WorkDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Run(context.Background(), tt.p); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestStatusString(t *testing.T) {
	for s := StatusCreated; s <= StatusManual; s++ {
		var back Status
		b, _ := s.MarshalText()
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Errorf("%v does not round-trip: %v", s, err)
		}
	}
	if StatusWarning.String() != "warning" || Status(99).String() != "Status(99)" {
		t.Error("bad names")
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		10 * time.Second: "10s", 5 * time.Minute: "5m", 90 * time.Minute: "1h30m", time.Hour: "1h",
		90 * time.Second: "1m30s", 250 * time.Millisecond: "250ms",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
