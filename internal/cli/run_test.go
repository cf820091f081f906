package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// runProject makes a git repository holding testdata/run/<name>.gitlab-ci.yml
// as its pipeline file (plus files), and returns its directory.
func runProject(t *testing.T, name string, files map[string]string) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "run", name+".gitlab-ci.yml"))
	if err != nil {
		t.Fatal(err)
	}
	files[".gitlab-ci.yml"] = string(src)
	dir := writeFiles(t, files)
	commitAll(t, dir, "main", "init")
	return dir
}

// gantryRun runs `gantry run -C dir args...` in-process with --report and
// returns the exit code, stdout, stderr and the report.
func gantryRun(t *testing.T, dir string, args ...string) (int, string, string, runReport) {
	t.Helper()
	reportPath := filepath.Join(t.TempDir(), "report.json")
	var out, errOut bytes.Buffer
	code := Main(context.Background(), append([]string{"run", "-C", dir, "--report", reportPath}, args...),
		strings.NewReader(""), &out, &errOut)
	var r runReport
	if b, err := os.ReadFile(reportPath); err == nil {
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("report: %v", err)
		}
	}
	return code, out.String(), errOut.String(), r
}

// jobStatuses maps job name to "status" or "status/attempts".
func jobStatuses(r runReport) map[string]string {
	out := map[string]string{}
	for _, j := range r.Jobs {
		s := j.Status
		if j.Attempts > 1 {
			s += "/" + strconv.Itoa(j.Attempts)
		}
		out[j.Name] = s
	}
	return out
}

func TestRunStatuses(t *testing.T) { testRunStatuses(t) }

// testRunStatuses runs the status cases with extra arguments for gantry
// run (an executor), so that each backend shows the same behaviour.
func testRunStatuses(t *testing.T, extra ...string) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     map[string]string
		// wantOut are lines the terminal view must show.
		wantOut []string
	}{
		{
			name: "fail-stops", wantCode: ExitFailed,
			want: map[string]string{"build": "failed", "test": "skipped", "report": "success", "tidy": "success"},
			wantOut: []string{"build  > building", "build  # failed in", "exit code 4", "report > something failed",
				"tidy   > tidying", "pipeline failed in"},
		},
		{
			name: "allow-failure", wantCode: ExitOK,
			want:    map[string]string{"flaky": "warning", "lint": "warning", "deploy": "success"},
			wantOut: []string{"(allowed to fail)", "deploy > deploying", "pipeline passed with warnings"},
		},
		{
			name: "artifacts", wantCode: ExitOK,
			want: map[string]string{"build": "success", "unit": "success", "isolated": "success", "deploy": "success"},
			wantOut: []string{"unit     > binary v1", "unit     > version is 1.4.2", "isolated > version is ''",
				"deploy   > deploying 1.4.2 from binary v1"},
		},
		{
			name: "artifacts-one-job", wantCode: ExitOK,
			// A second run of one job takes its dependency's artifacts
			// from the earlier run.
			args:    []string{"--job", "unit"},
			want:    map[string]string{"unit": "success"},
			wantOut: []string{"unit # Downloading artifacts for build...", "unit > binary v1"},
		},
	}
	dirs := map[string]string{}
	for _, tt := range tests {
		// Cases named x-... run again in the project of case x.
		file, _, _ := strings.Cut(tt.name, "-one-job")
		if dirs[file] == "" {
			dirs[file] = runProject(t, file, map[string]string{})
		}
		t.Run(tt.name, func(t *testing.T) {
			dir := dirs[file]
			code, out, errOut, r := gantryRun(t, dir, append(tt.args, extra...)...)
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, out, errOut)
			}
			if diff := cmp.Diff(tt.want, jobStatuses(r)); diff != "" {
				t.Errorf("statuses (-want +got):\n%s\nstdout:\n%s", diff, out)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if strings.Contains(out, "never printed") {
				t.Errorf("a command after the failing one ran:\n%s", out)
			}
			if b, err := os.ReadFile(filepath.Join(dir, ".gantry", ".gitignore")); err != nil || string(b) != "*\n" {
				t.Errorf(".gantry/.gitignore = %q, %v", b, err)
			}
		})
	}
}

func TestRunRetryRunsMaxPlusOne(t *testing.T) {
	count := filepath.Join(t.TempDir(), "count")
	dir := runProject(t, "retry", map[string]string{})
	code, out, _, r := gantryRun(t, dir, "--variable", "COUNT_FILE="+count)
	if code != ExitFailed {
		t.Errorf("exit code %d, want 1\n%s", code, out)
	}
	b, _ := os.ReadFile(count)
	if n := strings.Count(string(b), "attempt"); n != 3 {
		t.Errorf("ran %d times, want 3 (retry: 2)", n)
	}
	if diff := cmp.Diff(map[string]string{"flaky": "failed/3"}, jobStatuses(r)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if got := strings.Count(out, "; retrying"); got != 2 {
		t.Errorf("%d retry lines, want 2:\n%s", got, out)
	}
}

func TestRunTimeoutKillsTheJobsProcesses(t *testing.T) {
	pids := filepath.Join(t.TempDir(), "pids")
	dir := runProject(t, "timeout", map[string]string{})
	start := time.Now()
	code, out, _, r := gantryRun(t, dir, "--variable", "PID_FILE="+pids)
	if code != ExitFailed {
		t.Errorf("exit code %d, want 1\n%s", code, out)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("took %v", d)
	}
	if len(r.Jobs) != 1 || r.Jobs[0].Reason != "timed out after 1s" || r.Jobs[0].Failure != "job_execution_timeout" {
		t.Errorf("jobs %+v", r.Jobs)
	}
	for _, w := range []string{"slow # timed out in", "timed out after 1s", "slow > after_script ran"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	waitGone(t, pids, 3)
}

// waitGone checks that at least n pids were written to file and that none
// of them is still alive (zombies aside) a moment later.
func waitGone(t *testing.T, file string, n int) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("pid file: %v", err)
	}
	fields := strings.Fields(string(b))
	if len(fields) < n {
		t.Fatalf("pid file has %d pids, want %d: %q", len(fields), n, b)
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		var alive []string
		for _, f := range fields {
			st, err := os.ReadFile("/proc/" + f + "/stat")
			if err != nil {
				continue
			}
			if i := bytes.LastIndexByte(st, ')'); i >= 0 && i+2 < len(st) && st[i+2] == 'Z' {
				continue
			}
			alive = append(alive, f)
		}
		if len(alive) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes left behind: %v", alive)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestRunMasksSecretsEverywhere(t *testing.T) { testRunMasksSecrets(t) }

func testRunMasksSecrets(t *testing.T, extra ...string) {
	const token, password = "tok-9f8e7d6c5b", "hunter2-pw-xyz"
	dir := runProject(t, "secret", map[string]string{})
	envFile := filepath.Join(dir, ".gantry", "variables")
	if err := os.MkdirAll(filepath.Dir(envFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(envFile, []byte("# secrets\nmasked DB_PASSWORD="+password+"\nPLAIN=visible\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"text", "json"} {
		t.Run(mode, func(t *testing.T) {
			args := append([]string{"--secret", "API_TOKEN=" + token}, extra...)
			if mode == "json" {
				args = append(args, "--json")
			}
			code, out, errOut, r := gantryRun(t, dir, args...)
			if code != ExitOK {
				t.Fatalf("exit code %d\n%s\n%s", code, out, errOut)
			}
			report, _ := json.Marshal(r)
			texts := gantryLogs(t, dir)
			texts["stdout"], texts["stderr"], texts["report"] = out, errOut, string(report)
			for where, text := range texts {
				for _, secret := range []string{token, password, token[:5] + "\n", token[5:]} {
					if strings.Contains(text, secret) {
						t.Errorf("%s shows %q:\n%s", where, secret, text)
					}
				}
			}
			for _, w := range []string{"token is [MASKED]", "split: [MASKED]", "db is [MASKED]", "plain is visible", "after [MASKED]"} {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestRunInvalidInput(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".gitlab-ci.yml"), []byte("job:\n  script: 3: 4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut, _ := gantryRun(t, dir)
	if code != ExitInvalid || !strings.Contains(errOut, ".gitlab-ci.yml:") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	dir = runProject(t, "retry", map[string]string{})
	if code, _, errOut, _ := gantryRun(t, dir, "--job", "nope"); code != ExitInvalid {
		t.Errorf("--job nope: exit %d, stderr %q", code, errOut)
	}
}

// TestRunCtrlC runs the real binary, interrupts it while a job runs, and
// checks that it stops the job's processes, prints the summary and exits 1.
func TestRunCtrlC(t *testing.T) {
	pids := filepath.Join(t.TempDir(), "pids")
	dir := runProject(t, "sigint", map[string]string{})
	code, out := interruptRun(t, dir, []string{"--variable", "PID_FILE=" + pids}, 20*time.Second, 15*time.Second,
		func(int, string) bool {
			b, _ := os.ReadFile(pids)
			return strings.Count(string(b), "\n") >= 2
		})
	if code != ExitFailed {
		t.Errorf("exit code %d, want 1", code)
	}
	for _, w := range []string{"wait  # canceled", "pipeline canceled", "later  test   canceled"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	waitGone(t, pids, 2)
}

// interruptRun starts the gantry binary on `run -C dir args...`, polls
// started (given gantry's pid and output so far) for at most startWait,
// sends SIGINT once it reports the job under way, and returns gantry's
// exit code and output; gantry must stop within stopWait.
func interruptRun(t *testing.T, dir string, args []string, startWait, stopWait time.Duration, started func(pid int, out string) bool) (int, string) {
	t.Helper()
	cmd := exec.Command(gantryBinary(t), append([]string{"run", "-C", dir}, args...)...)
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(startWait)
	for !started(cmd.Process.Pid, out.String()) {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill() // the test failed already; do not leave it running
			t.Fatalf("job never started:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(stopWait):
		_ = cmd.Process.Kill() // as above
		t.Fatalf("gantry did not stop after SIGINT:\n%s", out.String())
	}
	return cmd.ProcessState.ExitCode(), out.String()
}

// lockedBuffer is a bytes.Buffer a subprocess writes to while the test
// reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
