package shell

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gantry-ci/gantry/internal/executor"
	"github.com/gantry-ci/gantry/internal/script"
)

func prepare(t *testing.T, job *executor.Job) executor.Session {
	t.Helper()
	if job.Workspace == "" {
		job.Workspace = filepath.Join(t.TempDir(), "ws")
		if err := os.Mkdir(job.Workspace, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	s, err := New(Config{KillGrace: 500 * time.Millisecond}).Prepare(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Cleanup(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return s
}

func step(commands ...string) *executor.Step {
	return &executor.Step{Name: executor.StepScript, Script: script.Build(commands, script.Options{})}
}

func TestRunOutputAndExitCode(t *testing.T) {
	tests := []struct {
		name     string
		commands []string
		want     string
		code     int
	}{
		{"stdout and stderr in order", []string{"echo out; echo err >&2; echo out2"}, "$ echo out; echo err >&2; echo out2\nout\nerr\nout2\n", 0},
		{"exit code", []string{"exit 7"}, "$ exit 7\n", 7},
		{"runs in workspace", []string{"test -f marker && echo found"}, "$ test -f marker && echo found\nfound\n", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := prepare(t, &executor.Job{Name: "j"})
			if err := os.WriteFile(filepath.Join(s.Paths().ProjectDir, "marker"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			code, err := s.Run(context.Background(), step(tt.commands...), &out)
			if err != nil {
				t.Fatal(err)
			}
			if code != tt.code || out.String() != tt.want {
				t.Errorf("got %q exit %d, want %q exit %d", out.String(), code, tt.want, tt.code)
			}
		})
	}
}

// pidsAlive reads the pids the script wrote and returns those still running.
func pidsAlive(t *testing.T, file string) []int {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var alive []int
	for _, f := range strings.Fields(string(b)) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			t.Fatal(err)
		}
		if syscall.Kill(pid, 0) == nil && !zombie(pid) {
			alive = append(alive, pid)
		}
	}
	return alive
}

func zombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	// The state follows the ")" that closes the command name.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] == 'Z'
}

func TestTimeoutKillsWholeGroup(t *testing.T) {
	s := prepare(t, &executor.Job{Name: "sleepy"})
	pids := filepath.Join(t.TempDir(), "pids")
	ctx, cancel := context.WithTimeoutCause(context.Background(), 300*time.Millisecond, errors.New("timed out"))
	defer cancel()
	start := time.Now()
	var out bytes.Buffer
	_, err := s.Run(ctx, step(
		"sleep 100 & echo $! >> "+pids,
		"(trap '' TERM; sleep 100) & echo $! >> "+pids, // ignores TERM: needs the KILL
		"sleep 100 & echo $! >> "+pids+"; wait",
	), &out)
	if !errors.Is(err, executor.ErrStopped) || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("err = %v, want ErrStopped with cause", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Run took %v after the timeout", d)
	}
	if alive := pidsAlive(t, pids); len(alive) > 0 {
		t.Fatalf("processes left behind: %v", alive)
	}
}

func TestBackgroundChildrenDoNotOutliveStep(t *testing.T) {
	s := prepare(t, &executor.Job{Name: "bg"})
	pids := filepath.Join(t.TempDir(), "pids")
	start := time.Now()
	var out bytes.Buffer
	code, err := s.Run(context.Background(), step("sleep 100 & echo $! >> "+pids, "echo done"), &out)
	if err != nil || code != 0 {
		t.Fatalf("Run = %d, %v", code, err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Run waited %v for a background child", d)
	}
	if alive := pidsAlive(t, pids); len(alive) > 0 {
		t.Fatalf("processes left behind: %v", alive)
	}
}

func TestPrepareNotices(t *testing.T) {
	var log bytes.Buffer
	prepare(t, &executor.Job{Name: "img", Log: &log, Image: &executor.Image{Name: "python:3.12"},
		Services: []executor.Service{{Image: executor.Image{Name: "postgres:16"}}}})
	if !strings.Contains(log.String(), `Ignoring image "python:3.12"`) || !strings.Contains(log.String(), "1 service") {
		t.Fatalf("log = %q", log.String())
	}
}

func TestPrepareMissingWorkspace(t *testing.T) {
	_, err := New(Config{}).Prepare(context.Background(), &executor.Job{Workspace: filepath.Join(t.TempDir(), "nope")})
	if err == nil {
		t.Fatal("want error")
	}
}

func TestFileVariableTempDirRemoved(t *testing.T) {
	s := prepare(t, &executor.Job{Name: "f"})
	p := s.Paths()
	st := &executor.Step{Name: executor.StepScript, Script: script.Build([]string{`cat "$F"`}, script.Options{
		Dir: p.ProjectDir, TempDir: p.TempDir, Variables: []executor.Variable{{Name: "F", Value: "sec", File: true}},
	})}
	var out bytes.Buffer
	if code, err := s.Run(context.Background(), st, &out); err != nil || code != 0 || !strings.HasSuffix(out.String(), "sec") {
		t.Fatalf("Run = %d, %v, %q", code, err, out.String())
	}
	if err := s.Cleanup(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p.TempDir); !os.IsNotExist(err) {
		t.Fatalf("temp dir still there: %v", err)
	}
}

func TestLargeScriptFromFile(t *testing.T) {
	big := strings.Repeat("x", maxArgScript+1)
	s := prepare(t, &executor.Job{Name: "big"})
	p := s.Paths()
	st := &executor.Step{Name: executor.StepScript, Script: script.Build([]string{`echo ${#BIG}`, "cat"}, script.Options{
		Dir: p.ProjectDir, Variables: []executor.Variable{{Name: "BIG", Value: big}},
	})}
	if len(st.Script) <= maxArgScript {
		t.Fatalf("script of %d bytes is not large", len(st.Script))
	}
	var out bytes.Buffer
	code, err := s.Run(context.Background(), st, &out)
	if err != nil || code != 0 {
		t.Fatalf("Run = %d, %v: %q", code, err, out.String())
	}
	// cat reads an empty stdin, not the rest of the script.
	if want := "$ echo ${#BIG}\n" + strconv.Itoa(len(big)) + "\n$ cat\n"; out.String() != want {
		t.Errorf("output %q, want %q", out.String(), want)
	}
	if err := s.Cleanup(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p.TempDir); !os.IsNotExist(err) {
		t.Errorf("the script file's dir is still there: %v", err)
	}
}

func TestTempDirOnlyForFileVariables(t *testing.T) {
	tests := []struct {
		name string
		env  []executor.Variable
		want bool
	}{
		{"no file variable", []executor.Variable{{Name: "A", Value: "1"}}, false},
		{"a file variable", []executor.Variable{{Name: "F", Value: "secret", File: true}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := prepare(t, &executor.Job{Name: "t", Env: tt.env})
			fi, err := os.Stat(s.Paths().TempDir)
			if got := err == nil; got != tt.want {
				t.Fatalf("temp dir exists = %v, want %v", got, tt.want)
			}
			if tt.want && fi.Mode().Perm() != 0o700 {
				t.Errorf("temp dir mode %v, want 0700", fi.Mode().Perm())
			}
		})
	}
}
