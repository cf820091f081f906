package scheduler

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gantry-ci/gantry/internal/executor"
	"github.com/gantry-ci/gantry/internal/plan"
)

func interactive() jobOpt { return func(j *plan.Job) { j.Spec.Decorators.Interactive = true } }

// overlapped reports whether a and b ran at the same time on the fake.
func overlapped(f *fakeBackend, a, b string) bool {
	return f.starts[a].Before(f.ends[b]) && f.starts[b].Before(f.ends[a])
}

func TestInteractiveRunsAlone(t *testing.T) {
	const d = 40 * time.Millisecond
	tests := []struct {
		name string
		jobs []testJob
		// alone is the interactive job; the others must not overlap it.
		alone string
	}{
		{"first in plan order", []testJob{
			tj("shell", "build", interactive(), needs()), tj("a", "build", needs()), tj("b", "build", needs()),
		}, "shell"},
		{"after running jobs", []testJob{
			tj("a", "build", needs()), tj("b", "build", needs()), tj("shell", "build", interactive(), needs()),
			tj("c", "build", needs()), tj("d", "build", needs()),
		}, "shell"},
		{"needs started early", []testJob{
			tj("a", "build", needs()), tj("shell", "test", interactive(), needs("a")), tj("slow", "build", needs()),
			tj("c", "test", needs("a")),
		}, "shell"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := map[string]behavior{}
			for _, j := range tt.jobs {
				b[j.name] = behavior{sleep: d}
			}
			b["slow"] = behavior{sleep: 3 * d}
			fake := newFake(b)
			res, _ := runPlan(t, Config{Backend: fake, Concurrency: 4, Terminal: &executor.Terminal{}}, mkPlan(stages3, tt.jobs...))
			for _, j := range res.Jobs {
				if j.Status != StatusSuccess {
					t.Fatalf("%s: %s %s", j.Name, j.Status, j.Reason)
				}
			}
			for _, j := range tt.jobs {
				if j.name != tt.alone && overlapped(fake, j.name, tt.alone) {
					t.Errorf("%s ran beside the interactive job %s", j.name, tt.alone)
				}
			}
			if fake.maxRun < 2 {
				t.Errorf("the other jobs did not run in parallel (max %d at once)", fake.maxRun)
			}
		})
	}
}

func TestInteractiveWithoutTerminalIsAJob(t *testing.T) {
	fake := newFake(map[string]behavior{"shell": {sleep: 40 * time.Millisecond, output: "hi\n"}, "a": {sleep: 40 * time.Millisecond}})
	_, rec := runPlan(t, Config{Backend: fake, Concurrency: 2}, mkPlan(stages3, tj("shell", "build", interactive()), tj("a", "build")))
	if !overlapped(fake, "shell", "a") {
		t.Errorf("without a terminal, an interactive job should run beside the others")
	}
	if got := rec.log("shell"); got != "hi\n" {
		t.Errorf("log = %q, want its output", got)
	}
}

func TestInteractiveShellTerminal(t *testing.T) {
	var stdout, stderr bytes.Buffer
	term := &executor.Terminal{Stdin: strings.NewReader("yes\n"), Stdout: &stdout, Stderr: &stderr}
	p := mkPlan(stages3, tj("shell", "build", interactive(),
		shellScript(`read -r answer`, `echo "got $answer"`, `echo oops >&2`), afterScript(`echo after`)))
	res, rec := runPlan(t, Config{Backend: shellBackend(), Terminal: term}, p)
	if j := res.Jobs[0]; j.Status != StatusSuccess {
		t.Fatalf("status %s %s; stdout %q stderr %q", j.Status, j.Reason, stdout.String(), stderr.String())
	}
	for _, want := range []string{"got yes\n", "after\n"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("terminal stdout %q lacks %q", stdout.String(), want)
		}
	}
	if stderr.String() != "oops\n" {
		t.Errorf("terminal stderr = %q, want oops", stderr.String())
	}
	if got := rec.log("shell"); got != "" {
		t.Errorf("job log = %q, want nothing of the output", got)
	}
	var notices []string
	for _, e := range rec.of(KindJobNotice, "shell") {
		notices = append(notices, e.Text)
	}
	if !strings.Contains(strings.Join(notices, "\n"), "went to the terminal") {
		t.Errorf("notices %q do not say where the output went", notices)
	}
}

func TestInteractiveShellExitCode(t *testing.T) {
	var stdout bytes.Buffer
	p := mkPlan(stages3, tj("shell", "build", interactive(), shellScript(`echo bye`, `exit 3`)))
	res, _ := runPlan(t, Config{Backend: shellBackend(), Terminal: &executor.Terminal{Stdout: &stdout}}, p)
	if j := res.Jobs[0]; j.Status != StatusFailed || j.ExitCode != 3 {
		t.Errorf("got %s exit %d, want failed exit 3", j.Status, j.ExitCode)
	}
}

func TestInteractiveShellTimeout(t *testing.T) {
	pids := filepath.Join(t.TempDir(), "pids")
	p := mkPlan(stages3, tj("shell", "build", interactive(), timeout(300*time.Millisecond),
		shellScript("sleep 30 & echo $! >> "+pids+"; wait")))
	start := time.Now()
	res, _ := runPlan(t, Config{Backend: shellBackend(), Terminal: &executor.Terminal{}}, p)
	if j := res.Jobs[0]; j.Status != StatusFailed || j.Failure != FailureTimeout {
		t.Errorf("got %s %s, want a timeout", j.Status, j.Reason)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	if alive := aliveFrom(t, pids); len(alive) > 0 {
		t.Errorf("processes left: %v", alive)
	}
}
