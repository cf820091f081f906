package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRunChildPipelines(t *testing.T) {
	dir := runProject(t, "child-pipelines", map[string]string{
		"child.yml": "workflow:\n  rules:\n    - if: $CI_PIPELINE_SOURCE == \"parent_pipeline\"\n" +
			"show:\n  variables:\n    SHARED: from-child\n" +
			"  script: echo \"GLOBAL=$GLOBAL OWN=$OWN SHARED=$SHARED SOURCE=$CI_PIPELINE_SOURCE\"\n" +
			"nested:\n  trigger:\n    include: grandchild.yml\n",
		"grandchild.yml": "deep:\n  script: echo deep $OWN\n",
		"failing.yml":    "fail:\n  script:\n    - echo \"GLOBAL=[$GLOBAL]\"\n    - exit 1\n",
	})
	code, out, errOut, r := gantryRun(t, dir)
	if code != ExitFailed {
		t.Fatalf("exit %d, want %d (depend's child failed)\n%s%s", code, ExitFailed, out, errOut)
	}
	// The report lists each child's jobs after their trigger job, under
	// the names the output gives them.
	want := []string{"generate success", "vars success",
		"[vars] -> show success < vars", "[vars] -> nested success < vars",
		"[vars -> nested] -> deep success < [vars] -> nested",
		"dynamic success", "[dynamic] -> gen success < dynamic",
		"depend failed", "[depend] -> fail failed < depend",
		"nodepend success", "[nodepend] -> fail failed < nodepend",
		"unforwarded success", "[unforwarded] -> show success < unforwarded",
		"[unforwarded] -> nested success < unforwarded",
		"[unforwarded -> nested] -> deep success < [unforwarded] -> nested"}
	if diff := cmp.Diff(want, reportLines(t, r)); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	for _, j := range r.Jobs {
		if j.Name == "[vars] -> show" {
			if b, err := os.ReadFile(j.Log); err != nil || !strings.Contains(string(b), "SHARED=from-trigger") {
				t.Errorf("log of %s (%s): %q, %v", j.Name, j.Log, b, err)
			}
		}
	}
	// The view pads job names; compare with single blanks.
	flat := regexp.MustCompile(` +`).ReplaceAllString(out, " ")
	for _, w := range []string{
		// The trigger job's variables (its own and the global ones) rank
		// above the child job's, as pipeline variables.
		"[vars] -> show > GLOBAL=g OWN=own SHARED=from-trigger SOURCE=parent_pipeline",
		// The nested trigger passes nothing it did not define: OWN was a
		// pipeline variable of the child.
		"[vars -> nested] -> deep > deep",
		"[dynamic] -> gen > generated yes-it-is",
		"[unforwarded] -> show > GLOBAL= OWN= SHARED=from-child SOURCE=parent_pipeline",
		"[depend] -> fail > GLOBAL=[]",
		"[nodepend] -> fail > GLOBAL=[g]",
		"depend # failed in",
		// The summary has the children's jobs under their trigger job,
		// in their own stage.
		"\ngenerate build passed",
		"\nvars test passed",
		"\n[vars] -> show test passed",
		"\n[vars -> nested] -> deep test passed",
		"\ndepend test failed",
		"\n[depend] -> fail test failed",
		"\nnodepend test passed", "child pipeline failed\n",
		"downstream pipeline failed",
		"the trigger job passes all the same",
	} {
		if !strings.Contains(flat, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

// reportLines is the report's jobs as "name status", with " < parent"
// for the jobs of child pipelines. Their pipeline must be the one their
// parent ran, and the logs of jobs that ran must exist, in their own
// pipeline's .gantry/logs/<id>.
func reportLines(t *testing.T, r runReport) []string {
	t.Helper()
	var out []string
	downstream := map[string]string{}
	for _, j := range r.Jobs {
		line := j.Name + " " + j.Status
		if j.Parent != "" {
			line += " < " + j.Parent
			if p := downstream[j.Parent]; j.Pipeline == "" || j.Pipeline == r.Pipeline || j.Pipeline != p {
				t.Errorf("job %s: pipeline %q, its trigger job's downstream_pipeline %q", j.Name, j.Pipeline, p)
			}
		}
		downstream[j.Name] = j.Downstream
		out = append(out, line)
		if j.Attempts > 0 && j.Log == "" {
			t.Errorf("job %s ran but has no log", j.Name)
		} else if _, err := os.Stat(j.Log); j.Log != "" && err != nil {
			t.Errorf("log of %s: %v", j.Name, err)
		}
		want := r.Pipeline
		if j.Pipeline != "" {
			want = j.Pipeline
		}
		if dir := filepath.Base(filepath.Dir(j.Log)); j.Log != "" && dir != want {
			t.Errorf("log of %s is %s, not in its pipeline's directory %s", j.Name, j.Log, want)
		}
	}
	return out
}

// TestRunChildPipelinesConcurrency checks that -j N counts the jobs of
// child pipelines with the parent's: a trigger job holds no slot while
// its child runs, so one slot is enough for nested children.
func TestRunChildPipelinesConcurrency(t *testing.T) {
	count := func(name string) string {
		return name + ":\n  script:\n    - echo + >> \"$COUNT_FILE\"\n    - sleep 0.3\n    - echo - >> \"$COUNT_FILE\"\n"
	}
	for _, n := range []int{1, 2} {
		t.Run("-j "+strconv.Itoa(n), func(t *testing.T) {
			dir := runProject(t, "child-concurrency", map[string]string{
				"child.yml":      count("c1") + count("c2") + count("c3") + "nested:\n  trigger:\n    include: grandchild.yml\n    strategy: depend\n",
				"grandchild.yml": count("g1") + count("g2"),
			})
			file := t.TempDir() + "/count"
			start := time.Now()
			code, out, errOut, r := gantryRun(t, dir, "-j", strconv.Itoa(n), "--variable", "COUNT_FILE="+file)
			if code != 0 {
				t.Fatalf("exit %d\n%s%s", code, out, errOut)
			}
			if d := time.Since(start); d > 30*time.Second {
				t.Errorf("took %v", d)
			}
			if got := len(r.Jobs); got != 9 {
				t.Errorf("%d jobs in the report, want 9 (a, b, kid, c1-c3, nested, g1, g2)", got)
			}
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			running, most := 0, 0
			for _, mark := range strings.Fields(string(b)) {
				if mark == "+" {
					running++
				} else {
					running--
				}
				most = max(most, running)
			}
			if jobs := strings.Count(string(b), "+"); jobs != 7 {
				t.Errorf("%d jobs ran, want 7", jobs)
			}
			if most > n {
				t.Errorf("%d jobs ran at once with -j %d", most, n)
			}
		})
	}
}

// TestRunChildTimeout: a child pipeline's job that runs out of time is
// killed with everything it started, and shows as timed out under its
// trigger job.
func TestRunChildTimeout(t *testing.T) {
	pids := t.TempDir() + "/pids"
	src, err := os.ReadFile("testdata/run/timeout.gitlab-ci.yml")
	if err != nil {
		t.Fatal(err)
	}
	dir := runProject(t, "child-timeout", map[string]string{"slow.yml": string(src)})
	code, out, _, r := gantryRun(t, dir, "--variable", "PID_FILE="+pids)
	if code != ExitFailed {
		t.Errorf("exit code %d, want 1\n%s", code, out)
	}
	want := []string{"kid failed", "[kid] -> slow failed < kid"}
	if diff := cmp.Diff(want, reportLines(t, r)); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	flat := regexp.MustCompile(` +`).ReplaceAllString(out, " ")
	for _, w := range []string{"\nkid test failed", "downstream pipeline failed",
		"\n[kid] -> slow test timed out", "timed out after 1s\n", "[kid] -> slow > after_script ran"} {
		if !strings.Contains(flat, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	waitGone(t, pids, 3)
}

// TestRunChildCtrlC interrupts the real binary while the jobs of a child
// and a grandchild pipeline run: their processes end, their jobs and
// those not started are canceled in the summary and the report.
func TestRunChildCtrlC(t *testing.T) {
	tmp := t.TempDir()
	pids, report := tmp+"/pids", tmp+"/report.json"
	sleeper := func(name string) string {
		return name + ":\n  script:\n    - sleep 300 & echo $! >> \"$PID_FILE\"\n" +
			"    - echo $$ >> \"$PID_FILE\"\n    - sleep 300\n"
	}
	dir := runProject(t, "child-cancel", map[string]string{
		"sleeper.yml": sleeper("wait") + "nested:\n  trigger:\n    include: deep.yml\n    strategy: depend\n" +
			"after:\n  stage: deploy\n  script: [echo never]\n",
		"deep.yml": sleeper("deepwait"),
	})
	code, out := interruptRun(t, dir, []string{"-j", "2", "--report", report, "--variable", "PID_FILE=" + pids},
		20*time.Second, 15*time.Second, func(int, string) bool {
			b, _ := os.ReadFile(pids)
			return strings.Count(string(b), "\n") >= 4
		})
	if code != ExitFailed {
		t.Errorf("exit code %d, want 1", code)
	}
	waitGone(t, pids, 4)
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var r runReport
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	want := []string{"kid canceled", "[kid] -> wait canceled < kid", "[kid] -> nested canceled < kid",
		"[kid -> nested] -> deepwait canceled < [kid] -> nested", "[kid] -> after canceled < kid", "later canceled"}
	if diff := cmp.Diff(want, reportLines(t, r)); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	flat := regexp.MustCompile(` +`).ReplaceAllString(out, " ")
	for _, w := range []string{"\nkid build canceled", "\n[kid] -> wait test canceled",
		"\n[kid -> nested] -> deepwait test canceled", "\n[kid] -> after deploy canceled", "\nlater test canceled",
		"pipeline canceled"} {
		if !strings.Contains(flat, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}
