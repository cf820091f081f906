package scheduler

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gantry-ci/gantry/internal/executor/shell"
	"github.com/gantry-ci/gantry/internal/plan"
)

// These tests run real bash through the shell backend.

func shellScript(cmds ...string) jobOpt { return func(j *plan.Job) { j.Spec.Script = cmds } }

func shellBackend() *shell.Backend { return shell.New(shell.Config{KillGrace: 300 * time.Millisecond}) }

// aliveFrom returns the pids listed in file that still run (zombies aside).
func aliveFrom(t *testing.T, file string) []int {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("pid file: %v", err)
	}
	var alive []int
	for _, f := range strings.Fields(string(b)) {
		pid, _ := strconv.Atoi(f)
		st, err := os.ReadFile("/proc/" + f + "/stat")
		if err != nil || syscall.Kill(pid, 0) != nil {
			continue
		}
		if i := strings.LastIndexByte(string(st), ')'); i >= 0 && i+2 < len(st) && st[i+2] == 'Z' {
			continue
		}
		alive = append(alive, pid)
	}
	return alive
}

func TestShellTimeoutKillsChildren(t *testing.T) {
	pids := filepath.Join(t.TempDir(), "pids")
	p := mkPlan(stages3, tj("sleepy", "build", timeout(500*time.Millisecond),
		shellScript("sleep 100 & echo $! >> "+pids, "sleep 100 & echo $! >> "+pids, "echo $$ >> "+pids+"; wait")))
	start := time.Now()
	res, _ := runPlan(t, Config{Backend: shellBackend()}, p)
	j := res.Jobs[0]
	if j.Status != StatusFailed || j.Reason != "timed out after 500ms" {
		t.Fatalf("got %s %q", j.Status, j.Reason)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	if alive := aliveFrom(t, pids); len(alive) > 0 {
		t.Fatalf("processes left: %v", alive)
	}
}

func TestShellMaskedSecretNeverShown(t *testing.T) {
	const secret = "s3cr3t-token-value"
	p := mkPlan(stages3, tj("leak", "build", variable("TOKEN", secret, true),
		shellScript(`echo "token=$TOKEN"`, `printf '%s' "$TOKEN" | fold -w 3`, `echo "$TOKEN" >&2`),
		afterScript(`echo "after $TOKEN"`)))
	res, rec := runPlan(t, Config{Backend: shellBackend()}, p)
	if res.Jobs[0].Status != StatusSuccess {
		t.Fatalf("status %s: %s", res.Jobs[0].Status, rec.log("leak"))
	}
	log := rec.log("leak")
	if strings.Contains(log, secret) {
		t.Fatalf("secret in log:\n%s", log)
	}
	if strings.Count(log, "[MASKED]") != 3 {
		t.Errorf("want 3 [MASKED] in log:\n%s", log)
	}
	if !strings.Contains(log, "$ echo \"token=$TOKEN\"\n") {
		t.Errorf("command echo missing:\n%s", log)
	}
}

func TestShellCancelLeavesNoProcess(t *testing.T) {
	pids := filepath.Join(t.TempDir(), "pids")
	p := mkPlan(stages3,
		tj("a", "build", shellScript("sleep 100 & echo $! >> "+pids, "echo $$ >> "+pids+"; sleep 100")),
		tj("b", "build", shellScript("(sleep 100; echo) & echo $! >> "+pids+"; wait")),
		tj("c", "test"))
	rec := &recorder{}
	s, err := New(Config{Backend: shellBackend(), OnEvent: rec.on, WorkDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		// Cancel once both jobs have written their pids.
		for range 200 {
			if b, _ := os.ReadFile(pids); len(strings.Fields(string(b))) >= 3 {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
	}()
	res, err := s.Run(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusCanceled {
		t.Errorf("pipeline %s", res.Status)
	}
	for _, j := range res.Jobs {
		if j.Status != StatusCanceled {
			t.Errorf("%s: %s", j.Name, j.Status)
		}
	}
	if alive := aliveFrom(t, pids); len(alive) > 0 {
		t.Fatalf("processes left: %v", alive)
	}
	checkEventOrder(t, rec)
}

func TestShellExitCodeAndStages(t *testing.T) {
	p := mkPlan(stages3, tj("build", "build", shellScript("echo building", "exit 4", "echo never")), tj("test", "test"))
	res, rec := runPlan(t, Config{Backend: shellBackend()}, p)
	if res.Jobs[0].ExitCode != 4 || res.Jobs[0].Reason != "exit code 4" || res.Jobs[1].Status != StatusSkipped {
		t.Fatalf("got %+v", res.Jobs)
	}
	if got, want := rec.log("build"), "$ echo building\nbuilding\n$ exit 4\n"; got != want {
		t.Errorf("log = %q, want %q", got, want)
	}
}
