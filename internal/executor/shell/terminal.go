package shell

import (
	"context"
	"fmt"
	"os/exec"
	"syscall"
	"time"

	"github.com/gantry-ci/gantry/internal/executor"
)

// runTerminal runs a step attached to step.Terminal (an @Interactive job).
//
// When the terminal is in the foreground (a user types into it), the step
// stays in gantry's process group: a process of another group that reads
// the terminal is stopped (SIGTTIN), and handing the terminal's foreground
// to the step and taking it back is a shell's job-control dance gantry does
// not need. Ctrl-C then reaches the step and gantry alike, as it would a
// command run by hand. The price: a timeout or cancel signals the step's
// shell only, not every process it started. Otherwise the step has a group
// of its own, stopped whole as any other step's.
func (s *session) runTerminal(ctx context.Context, step *executor.Step) (int, error) {
	cmd, err := s.command(step)
	if err != nil {
		return -1, fmt.Errorf("run %s: %w", step.Name, err)
	}
	t := step.Terminal
	cmd.Stdin, cmd.Stdout, cmd.Stderr = t.Stdin, t.Stdout, t.Stderr
	// Stdin that is not a file is copied by a goroutine that may block in
	// a read forever, and a background child may hold a pipe open: Wait
	// gives up on both after this long.
	cmd.WaitDelay = pipeDrain
	if !t.Foreground {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	}
	if err := cmd.Start(); err != nil {
		return -1, fmt.Errorf("run %s: %w", step.Name, err)
	}
	pid := cmd.Process.Pid
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	var waitErr error
	stopped := false
	select {
	case waitErr = <-exited:
	case <-ctx.Done():
		stopped = true
		if t.Foreground {
			waitErr = terminateOne(cmd, s.b.cfg.KillGrace, exited)
		} else {
			waitErr = terminate(pid, s.b.cfg.KillGrace, exited)
		}
	}
	if !t.Foreground {
		killGroup(pid, s.b.cfg.KillGrace)
	}
	if stopped {
		return -1, fmt.Errorf("run %s: %w: %w", step.Name, executor.ErrStopped, context.Cause(ctx))
	}
	return exitStatus(step, cmd, waitErr)
}

// terminateOne sends SIGTERM to the step's shell, then SIGKILL after
// grace, and returns once it has exited.
func terminateOne(cmd *exec.Cmd, grace time.Duration, exited <-chan error) error {
	_ = cmd.Process.Signal(syscall.SIGTERM) // fails only if it just exited
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case err := <-exited:
		return err
	case <-timer.C:
		_ = cmd.Process.Kill() // as above
		return <-exited
	}
}
