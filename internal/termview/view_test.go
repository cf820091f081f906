package termview

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/gantry-ci/gantry/internal/scheduler"
	"github.com/google/go-cmp/cmp"
)

func events() []scheduler.Event {
	cov := 81.25
	return []scheduler.Event{
		{Kind: scheduler.KindPipelineCreated, Stages: []string{"build", "test"}},
		{Kind: scheduler.KindJobCreated, Job: "build", Stage: "build"},
		{Kind: scheduler.KindJobCreated, Job: "unit-tests", Stage: "test"},
		{Kind: scheduler.KindJobCreated, Job: "deploy", Stage: "test", When: "manual"},
		{Kind: scheduler.KindJobStarted, Job: "build", Stage: "build", Attempt: 1},
		{Kind: scheduler.KindJobLog, Job: "build", Attempt: 1, Text: "$ make\nok\n"},
		{Kind: scheduler.KindJobFinished, Job: "build", Stage: "build", Attempt: 1, Status: scheduler.StatusSuccess, Duration: 1500 * time.Millisecond},
		{Kind: scheduler.KindJobStarted, Job: "unit-tests", Stage: "test", Attempt: 1},
		{Kind: scheduler.KindJobNotice, Job: "unit-tests", Attempt: 1, Text: "Downloading artifacts for build..."},
		{Kind: scheduler.KindJobLog, Job: "unit-tests", Attempt: 1, Text: "FAIL x"},
		{Kind: scheduler.KindJobFinished, Job: "unit-tests", Stage: "test", Attempt: 1, Status: scheduler.StatusFailed,
			Duration: 200 * time.Millisecond, Reason: "exit code 1", Failure: scheduler.FailureScript, Coverage: &cov,
			Tests: &scheduler.TestCount{Total: 3, Passed: 2, Failed: 1, FailedNames: []string{"pkg.TestX"}}},
		{Kind: scheduler.KindJobStatus, Job: "deploy", Status: scheduler.StatusManual, Reason: "manual job not played"},
	}
}

func TestViewPlain(t *testing.T) {
	var b bytes.Buffer
	v := New(&b, Options{})
	for _, ev := range events() {
		v.Handle(ev)
	}
	want := `build      # started (stage build)
build      > $ make
build      > ok
build      # passed in 1.5s
unit-tests # started (stage test)
unit-tests # Downloading artifacts for build...
unit-tests > FAIL x
unit-tests # failed in 200ms: exit code 1, coverage 81.25%, tests 2 passed, 1 failed
unit-tests # failed tests: pkg.TestX
deploy     # manual: manual job not played (play it with --manual 'deploy')
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

func TestViewQuietShowsFailuresOnly(t *testing.T) {
	var b bytes.Buffer
	v := New(&b, Options{Quiet: true})
	for _, ev := range events() {
		v.Handle(ev)
	}
	want := `unit-tests > FAIL x
unit-tests # failed in 200ms: exit code 1, coverage 81.25%, tests 2 passed, 1 failed
unit-tests # failed tests: pkg.TestX
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

func TestSummary(t *testing.T) {
	cov := 81.25
	res := &scheduler.Result{Status: scheduler.StatusFailed, Duration: 3 * time.Second, Jobs: []scheduler.JobResult{
		{Name: "build", Stage: "build", Status: scheduler.StatusSuccess, Attempts: 1, Duration: time.Second},
		{Name: "slow", Stage: "test", Status: scheduler.StatusFailed, Failure: scheduler.FailureTimeout, Reason: "timed out after 10s", Attempts: 2, Duration: 10 * time.Second},
		{Name: "lint", Stage: "test", Status: scheduler.StatusWarning, Reason: "exit code 3", Attempts: 1, Duration: 2 * time.Second, Coverage: &cov,
			Tests: &scheduler.TestCount{Passed: 4, Skipped: 1}},
		{Name: "deploy", Stage: "deploy", Status: scheduler.StatusSkipped, Reason: "needs slow, which failed"},
	}}
	var b bytes.Buffer
	New(&b, Options{}).Summary(res, "logs: .gantry/logs/1")
	want := `
JOB     STAGE   STATUS     DURATION  COVERAGE  TESTS                NOTE
build   build   passed     1.0s      -         -
slow    test    timed out  10.0s     -         -                    timed out after 10s; 2 attempts
lint    test    warning    2.0s      81.25%    4 passed, 1 skipped  exit code 3
deploy  deploy  skipped    -         -         -                    needs slow, which failed

pipeline failed in 3.0s
logs: .gantry/logs/1
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
}

func TestColorOnlyWhenAsked(t *testing.T) {
	for _, color := range []bool{false, true} {
		var b bytes.Buffer
		v := New(&b, Options{Color: color})
		for _, ev := range events() {
			v.Handle(ev)
		}
		if got := strings.Contains(b.String(), "\x1b["); got != color {
			t.Errorf("Color %v: escapes present = %v", color, got)
		}
	}
}
