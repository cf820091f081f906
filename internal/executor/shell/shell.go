// Package shell is the executor that runs jobs with bash on the host, in the
// job's workspace, like GitLab Runner's shell executor. Each step runs in a
// process group of its own, so a timeout or a cancel stops every process the
// script started, and nothing the step left behind survives it.
package shell

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/gantry-ci/gantry/internal/executor"
)

// DefaultKillGrace is how long a step's processes get between SIGTERM and
// SIGKILL.
const DefaultKillGrace = 5 * time.Second

// pipeDrain bounds the wait for output after the step's processes are gone:
// a daemon that escaped the group (setsid) may hold the pipe open forever.
const pipeDrain = 2 * time.Second

// Config configures the shell backend. The zero value works.
type Config struct {
	// Bash is the shell to run; default "bash" from PATH.
	Bash string
	// KillGrace is the SIGTERM-to-SIGKILL delay; default DefaultKillGrace.
	KillGrace time.Duration
	// Env is the base environment of every step; nil means os.Environ(),
	// as GitLab's shell executor inherits the runner's environment.
	Env []string
}

// Backend runs jobs on the host. It is safe for concurrent use.
type Backend struct {
	cfg Config
	// bash is cfg.Bash looked up in PATH once, not at every step.
	bash func() string
}

// New returns a shell Backend.
func New(cfg Config) *Backend {
	if cfg.Bash == "" {
		cfg.Bash = "bash"
	}
	if cfg.KillGrace <= 0 {
		cfg.KillGrace = DefaultKillGrace
	}
	b := &Backend{cfg: cfg}
	b.bash = sync.OnceValue(func() string {
		if p, err := exec.LookPath(cfg.Bash); err == nil {
			return p
		}
		return cfg.Bash // exec reports the error at the first step
	})
	return b
}

// Name implements executor.Backend.
func (b *Backend) Name() string { return "shell" }

// Prepare implements executor.Backend. The workspace must exist; the temp
// dir for file variables is beside it ("<workspace>.tmp", as GitLab does),
// created when the job has file variables.
func (b *Backend) Prepare(ctx context.Context, job *executor.Job) (executor.Session, error) {
	if err := job.CheckWorkspace(); err != nil {
		return nil, fmt.Errorf("prepare shell job: %w", err)
	}
	if job.Log != nil {
		if job.Image != nil && job.Image.Name != "" {
			fmt.Fprintf(job.Log, "Ignoring image %q: the shell executor runs jobs on the host\n", job.Image.Name)
		}
		if len(job.Services) > 0 {
			fmt.Fprintf(job.Log, "Ignoring %d service(s): the shell executor does not start services\n", len(job.Services))
		}
	}
	tmp := job.HostTempDir()
	// The temp dir is made only when something goes in it: a directory
	// per job is an inode created and deleted for nothing otherwise.
	for _, v := range job.Env {
		if v.File {
			if err := os.MkdirAll(tmp, 0o700); err != nil {
				return nil, fmt.Errorf("prepare shell job: %w", err)
			}
			break
		}
	}
	base := b.cfg.Env
	if base == nil {
		base = os.Environ()
	}
	// Variables bash cannot export still reach the job's processes.
	env := job.ProcessEnv(base)
	return &session{b: b, job: job, tmp: tmp, env: env}, nil
}

type session struct {
	b    *Backend
	job  *executor.Job
	tmp  string
	env  []string
	once sync.Once
}

func (s *session) Paths() executor.Paths {
	return executor.Paths{ProjectDir: s.job.Workspace, TempDir: s.tmp}
}

// Run implements executor.Session.
func (s *session) Run(ctx context.Context, step *executor.Step, out io.Writer) (int, error) {
	if step.Terminal != nil {
		return s.runTerminal(ctx, step)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return -1, fmt.Errorf("run %s: %w", step.Name, err)
	}
	cmd, err := s.command(step)
	if err != nil {
		pr.Close()
		pw.Close()
		return -1, fmt.Errorf("run %s: %w", step.Name, err)
	}
	// One pipe for both streams keeps their order; an *os.File means Wait
	// does not wait for our copy, which must outlive background children.
	cmd.Stdout, cmd.Stderr = pw, pw
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		return -1, fmt.Errorf("run %s: %w", step.Name, err)
	}
	pw.Close()
	pgid := cmd.Process.Pid

	copied := make(chan error, 1)
	go func() {
		buf := copyBuffers.Get().(*[]byte)
		defer copyBuffers.Put(buf)
		// Not io.CopyBuffer: *os.File's WriteTo would take over and
		// allocate a buffer of its own.
		_, err := io.CopyBuffer(out, struct{ io.Reader }{pr}, *buf)
		copied <- err
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	var waitErr error
	stopped := false
	select {
	case waitErr = <-exited:
	case <-ctx.Done():
		stopped = true
		waitErr = terminate(pgid, s.b.cfg.KillGrace, exited)
	}
	// Whatever the script left running in its group goes with it.
	killGroup(pgid, s.b.cfg.KillGrace)

	var copyErr error
	select {
	case copyErr = <-copied:
	case <-time.After(pipeDrain):
		pr.Close() // unblocks the copy; a process outside the group holds the pipe
		copyErr = <-copied
	}
	pr.Close()

	if stopped {
		return -1, fmt.Errorf("run %s: %w: %w", step.Name, executor.ErrStopped, context.Cause(ctx))
	}
	code, err := exitStatus(step, cmd, waitErr)
	if err != nil {
		return code, err
	}
	if copyErr != nil && !errors.Is(copyErr, os.ErrClosed) {
		return code, fmt.Errorf("run %s: write output: %w", step.Name, copyErr)
	}
	return code, nil
}

// exitStatus is the step's exit code once cmd has exited, and an error
// only when waiting failed for another reason than the exit status (or
// the pipes a background child kept open, given up on after WaitDelay).
func exitStatus(step *executor.Step, cmd *exec.Cmd, waitErr error) (int, error) {
	code := cmd.ProcessState.ExitCode()
	if code < 0 {
		// Killed by a signal from outside: report it as a shell would.
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code = 128 + int(ws.Signal())
		}
	}
	var exitErr *exec.ExitError
	if waitErr != nil && !errors.As(waitErr, &exitErr) && !errors.Is(waitErr, exec.ErrWaitDelay) {
		return code, fmt.Errorf("run %s: %w", step.Name, waitErr)
	}
	return code, nil
}

// copyBuffers hold a step's output on its way from the pipe: large reads
// for a job that prints a lot, and reused, as most jobs print little.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// maxArgScript is the largest script passed as bash's -c argument: Linux
// refuses a single argument over 128 KiB (MAX_ARG_STRLEN).
const maxArgScript = 64 << 10

// command returns the bash command that runs step. Bash reads a script
// from a pipe one byte per read(2), so that a command reading stdin gets
// the rest: 2,000 system calls for a trivial job with its variables. A
// script in an argument costs none, and a larger one is read from a file
// in blocks. Stdin is /dev/null either way; the script's commands had an
// empty stdin already.
func (s *session) command(step *executor.Step) (*exec.Cmd, error) {
	args := []string{"--noprofile", "--norc"}
	if len(step.Script) <= maxArgScript {
		args = append(args, "-c", step.Script)
	} else {
		if err := os.MkdirAll(s.tmp, 0o700); err != nil {
			return nil, err
		}
		file := filepath.Join(s.tmp, "step-"+step.Name+".sh")
		if err := os.WriteFile(file, []byte(step.Script), 0o600); err != nil {
			return nil, err
		}
		args = append(args, file)
	}
	cmd := exec.Command(s.b.bash(), args...)
	cmd.Dir = s.job.Workspace
	cmd.Env = s.env
	return cmd, nil
}

// Cleanup implements executor.Session: it removes the temp dir (file
// variables may hold secrets). The workspace stays.
func (s *session) Cleanup(ctx context.Context) error {
	var err error
	s.once.Do(func() {
		if rerr := os.RemoveAll(s.tmp); rerr != nil {
			err = fmt.Errorf("cleanup %s: %w", s.job.Name, rerr)
		}
	})
	return err
}
