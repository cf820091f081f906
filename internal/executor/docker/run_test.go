package docker

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gantry-ci/gantry/internal/executor"
	"github.com/gantry-ci/gantry/internal/script"
	"github.com/gantry-ci/gantry/internal/testenv"
)

func TestRunExitCodeAndOutput(t *testing.T) {
	img := testenv.Image(t, "busybox")
	b := newBackend(t, Config{})
	tests := []struct {
		name     string
		commands []string
		code     int
		out      []string
	}{
		{"pass", []string{"echo hello", "true"}, 0, []string{"$ echo hello\nhello\n"}},
		{"fail with code", []string{"echo before", "exit 3", "echo after"}, 3, []string{"before"}},
		{"failing command", []string{"false", "echo never"}, 1, []string{"$ false"}},
		{"stderr in order", []string{"echo one; echo two >&2; echo three"}, 0, []string{"one\ntwo\nthree\n"}},
		{"sh in busybox", []string{`echo "bash=${BASH_VERSION:-none}"`}, 0, []string{"bash=none"}},
		{"runs in project dir", []string{"pwd"}, 0, []string{"/builds/group/project\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job, _ := newJob(t, b, img)
			code, out := runJob(t, b, job, tt.commands...)
			if code != tt.code {
				t.Errorf("exit code = %d, want %d; output:\n%s", code, tt.code, out)
			}
			mustContain(t, "output", out, tt.out...)
			if strings.Contains(out, "never") || strings.Contains(out, "after\n") {
				t.Errorf("script went on after a failure:\n%s", out)
			}
		})
	}
}

func TestRunBashWhenImageHasIt(t *testing.T) {
	img := testenv.Image(t, "python")
	b := newBackend(t, Config{})
	job, _ := newJob(t, b, img)
	code, out := runJob(t, b, job, `echo "bash=${BASH_VERSION:+yes}"`, "set -o | grep -q pipefail && echo pipefail")
	if code != 0 {
		t.Fatalf("exit code %d:\n%s", code, out)
	}
	mustContain(t, "output", out, "bash=yes", "pipefail")
}

func TestRunWorkspaceAndVariables(t *testing.T) {
	img := testenv.Image(t, "busybox")
	b := newBackend(t, Config{})
	job, _ := newJob(t, b, img)
	if err := os.WriteFile(filepath.Join(job.Workspace, "in.txt"), []byte("from host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	job.Env = append(job.Env, executor.Variable{Name: "GREETING", Value: "hi there"})
	ctx := context.Background()
	s, err := b.Prepare(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Cleanup(ctx)
	p := s.Paths()
	if p.ProjectDir != "/builds/group/project" || p.TempDir != "/builds/group/project.tmp" {
		t.Errorf("Paths() = %+v", p)
	}
	vs := []executor.Variable{{Name: "GREETING", Value: "hi there"}, {Name: "SECRET_FILE", Value: "s3cret", File: true}}
	var out syncBuffer
	code, err := s.Run(ctx, step(p, vs,
		"cat in.txt",
		`echo "$GREETING"`,
		`cat "$SECRET_FILE"; echo; echo "$SECRET_FILE"`,
		"echo made in container > out.txt",
	), &out)
	if err != nil || code != 0 {
		t.Fatalf("Run = %d, %v\n%s", code, err, out.String())
	}
	mustContain(t, "output", out.String(), "from host", "hi there", "s3cret\n/builds/group/project.tmp/SECRET_FILE")
	got, err := os.ReadFile(filepath.Join(job.Workspace, "out.txt"))
	if err != nil || string(got) != "made in container\n" {
		t.Errorf("out.txt on the host = %q, %v", got, err)
	}
	// after_script runs in a new container of the same session.
	out = syncBuffer{}
	code, err = s.Run(ctx, &executor.Step{Name: executor.StepAfterScript, Script: script.Build([]string{"cat out.txt"}, script.Options{Dir: p.ProjectDir})}, &out)
	if err != nil || code != 0 || !strings.Contains(out.String(), "made in container") {
		t.Errorf("after_script = %d, %v\n%s", code, err, out.String())
	}
	if err := s.Cleanup(ctx); err != nil {
		t.Errorf("Cleanup: %v", err)
	}
	if err := s.Cleanup(ctx); err != nil {
		t.Errorf("second Cleanup: %v", err)
	}
	if _, err := os.Stat(job.Workspace + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("host temp dir still there: %v", err)
	}
}

func TestRunEntrypointAndUser(t *testing.T) {
	img := testenv.Image(t, "busybox")
	b := newBackend(t, Config{})
	t.Run("user", func(t *testing.T) {
		job, _ := newJob(t, b, img)
		job.Image.User = "65534"
		code, out := runJob(t, b, job, "id -u")
		if code != 0 || !strings.Contains(out, "65534") {
			t.Errorf("code %d, output:\n%s", code, out)
		}
	})
	t.Run("entrypoint wraps the shell", func(t *testing.T) {
		job, _ := newJob(t, b, img)
		job.Image.Entrypoint = []string{"env", "FROM_ENTRYPOINT=yes"}
		code, out := runJob(t, b, job, "echo $FROM_ENTRYPOINT")
		if code != 0 || !strings.Contains(out, "yes") {
			t.Errorf("code %d, output:\n%s", code, out)
		}
	})
}

func TestDefaultImage(t *testing.T) {
	img := testenv.Image(t, "busybox")
	t.Run("used when the job has none", func(t *testing.T) {
		b := newBackend(t, Config{DefaultImage: img})
		job, _ := newJob(t, b, "")
		if code, out := runJob(t, b, job, "echo ok"); code != 0 {
			t.Errorf("code %d:\n%s", code, out)
		}
	})
	t.Run("none at all", func(t *testing.T) {
		b := newBackend(t, Config{})
		job, _ := newJob(t, b, "")
		_, err := b.Prepare(context.Background(), job)
		if err == nil || !strings.Contains(err.Error(), "--default-image") {
			t.Errorf("Prepare error = %v", err)
		}
	})
}

func TestRunStop(t *testing.T) {
	img := testenv.Image(t, "busybox")
	b := newBackend(t, Config{KillGrace: 500 * time.Millisecond})
	errTimeout := errors.New("job timed out")
	tests := []struct {
		name     string
		services bool
		stop     func(context.Context, *syncBuffer) (context.Context, func())
		cause    error
	}{
		// Long enough for the step to start on a loaded machine.
		{"timeout", false, func(ctx context.Context, _ *syncBuffer) (context.Context, func()) {
			return context.WithTimeoutCause(ctx, 3*time.Second, errTimeout)
		}, errTimeout},
		{"cancel with services", true, func(ctx context.Context, out *syncBuffer) (context.Context, func()) {
			ctx, cancel := context.WithCancel(ctx)
			go func() {
				for !strings.Contains(out.String(), "started") && ctx.Err() == nil {
					time.Sleep(10 * time.Millisecond)
				}
				cancel()
			}()
			return ctx, cancel
		}, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job, _ := newJob(t, b, img)
			if tt.services {
				job.Services = []executor.Service{listener(img, "web", 8080)}
			}
			s, err := b.Prepare(context.Background(), job)
			if err != nil {
				t.Fatal(err)
			}
			var out syncBuffer
			ctx, cancel := tt.stop(context.Background(), &out)
			defer cancel()
			start := time.Now()
			// The trap shows that the step's processes got SIGTERM first.
			code, err := s.Run(ctx, step(s.Paths(), nil, "echo started", "sleep 30 & wait", "echo not reached"), &out)
			stopped := time.Since(start)
			if !errors.Is(err, executor.ErrStopped) || !errors.Is(err, tt.cause) {
				t.Errorf("Run = %d, %v; want ErrStopped and %v", code, err, tt.cause)
			}
			if stopped > 8*time.Second {
				t.Errorf("Run took %s, not stopped in time", stopped)
			}
			mustContain(t, "output", out.String(), "started")
			if strings.Contains(out.String(), "not reached") {
				t.Errorf("script went on:\n%s", out.String())
			}
			if err := s.Cleanup(context.Background()); err != nil {
				t.Errorf("Cleanup: %v", err)
			}
		})
	}
}
