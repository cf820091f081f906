package termview

import (
	"bytes"
	"testing"
	"time"

	"github.com/gantry-ci/gantry/internal/scheduler"
	"github.com/google/go-cmp/cmp"
)

func TestSummaryChildPipelines(t *testing.T) {
	cov := 92.5
	ok := func(name, stage string, d time.Duration) scheduler.JobResult {
		return scheduler.JobResult{Name: name, Stage: stage, Status: scheduler.StatusSuccess, Attempts: 1, Duration: d}
	}
	tests := []struct {
		name string
		res  *scheduler.Result
		want string
	}{
		{
			name: "nested child under its trigger",
			res: &scheduler.Result{Status: scheduler.StatusSuccess, Duration: 4 * time.Second, Jobs: []scheduler.JobResult{
				ok("build", "build", time.Second),
				{Name: "vars", Stage: "test", Status: scheduler.StatusSuccess, Attempts: 1, Duration: 3 * time.Second,
					Downstream: &scheduler.Result{Pipeline: "2", Status: scheduler.StatusSuccess, Jobs: []scheduler.JobResult{
						{Name: "[vars] -> show", Stage: "build", Status: scheduler.StatusSuccess, Attempts: 1,
							Duration: 500 * time.Millisecond, Coverage: &cov, Tests: &scheduler.TestCount{Passed: 7}},
						{Name: "[vars] -> nested", Stage: "test", Status: scheduler.StatusSuccess, Attempts: 1, Duration: 2 * time.Second,
							Downstream: &scheduler.Result{Pipeline: "3", Status: scheduler.StatusSuccess, Jobs: []scheduler.JobResult{
								ok("[vars -> nested] -> deep", "test", 1200*time.Millisecond),
							}}},
					}}},
				ok("after", "deploy", 100*time.Millisecond),
			}},
			want: `
JOB                       STAGE   STATUS  DURATION  COVERAGE  TESTS     NOTE
build                     build   passed  1.0s      -         -
vars                      test    passed  3.0s      -         -
[vars] -> show            build   passed  500ms     92.50%    7 passed
[vars] -> nested          test    passed  2.0s      -         -
[vars -> nested] -> deep  test    passed  1.2s      -         -
after                     deploy  passed  100ms     -         -

pipeline passed in 4.0s
`,
		},
		{
			name: "failed child without depend, canceled child",
			res: &scheduler.Result{Status: scheduler.StatusCanceled, Duration: 2 * time.Second, Jobs: []scheduler.JobResult{
				{Name: "nodepend", Stage: "test", Status: scheduler.StatusSuccess, Attempts: 1, Duration: time.Second,
					Downstream: &scheduler.Result{Pipeline: "2", Status: scheduler.StatusFailed, Jobs: []scheduler.JobResult{
						{Name: "[nodepend] -> fail", Stage: "test", Status: scheduler.StatusFailed, Failure: scheduler.FailureScript,
							Reason: "exit code 1", Attempts: 1, Duration: 300 * time.Millisecond},
					}}},
				{Name: "slow", Stage: "test", Status: scheduler.StatusCanceled, Reason: "canceled", Attempts: 1, Duration: time.Second,
					Downstream: &scheduler.Result{Pipeline: "3", Status: scheduler.StatusCanceled, Jobs: []scheduler.JobResult{
						{Name: "[slow] -> sleep", Stage: "test", Status: scheduler.StatusCanceled, Reason: "canceled", Attempts: 1,
							Duration: 900 * time.Millisecond},
						{Name: "[slow] -> later", Stage: "deploy", Status: scheduler.StatusCanceled, Reason: "pipeline canceled"},
					}}},
				// A child that could not be created has no jobs.
				{Name: "broken", Stage: "test", Status: scheduler.StatusFailed, Reason: "downstream pipeline cannot be created: no file",
					Attempts: 1, Duration: time.Millisecond},
			}},
			want: `
JOB                 STAGE   STATUS    DURATION  COVERAGE  TESTS  NOTE
nodepend            test    passed    1.0s      -         -      child pipeline failed
[nodepend] -> fail  test    failed    300ms     -         -      exit code 1
slow                test    canceled  1.0s      -         -      canceled
[slow] -> sleep     test    canceled  900ms     -         -      canceled
[slow] -> later     deploy  canceled  -         -         -      pipeline canceled
broken              test    failed    1ms       -         -      downstream pipeline cannot be created: no file

pipeline canceled in 2.0s
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			New(&b, Options{}).Summary(tt.res, "")
			if diff := cmp.Diff(tt.want, b.String()); diff != "" {
				t.Errorf("summary (-want +got):\n%s", diff)
			}
		})
	}
}
