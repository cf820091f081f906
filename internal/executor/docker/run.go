package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/gantry-ci/gantry/internal/executor"
)

// outputDrain bounds the wait for a step's output once its container has
// stopped.
const outputDrain = 2 * time.Second

// detectShell is the step container's command, as GitLab Runner's: the
// first bash found, else sh (busybox images), reads the script on standard
// input. stderr joins stdout here so that their order is kept.
const detectShell = `exec 2>&1
for s in /usr/local/bin/bash /usr/bin/bash /bin/bash /usr/local/bin/sh /usr/bin/sh /bin/sh /busybox/sh; do
  if [ -x "$s" ]; then exec "$s"; fi
done
echo "gantry: the image has neither bash nor sh" >&2
exit 127`

// Run implements executor.Session. The step runs in a new container of the
// job's image with the workspace mounted, the script fed to the shell on
// standard input; the container is removed before Run returns. The engine's
// init (tini) is PID 1 and signals the shell's whole process group, so a
// stop reaches every process of the step, as the shell executor's does.
func (s *session) Run(ctx context.Context, step *executor.Step, out io.Writer) (int, error) {
	b := s.b
	s.steps++
	name := b.name(s.job, stepSlug(step.Name), strconv.Itoa(s.steps))
	stopped := func(err error) error {
		return fmt.Errorf("run %s: %w: %w", step.Name, executor.ErrStopped, errors.Join(context.Cause(ctx), err))
	}
	if ctx.Err() != nil {
		return -1, stopped(nil)
	}
	id, err := s.createStep(ctx, name)
	if err != nil {
		if ctx.Err() != nil {
			return -1, stopped(err)
		}
		return -1, fmt.Errorf("run %s: %w", step.Name, err)
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.Background(), removeTimeout)
		defer cancel()
		if err := b.remove(rctx, id); err != nil {
			fmt.Fprintf(s.log, "WARNING: could not remove container %s: %v\n", name, err)
		}
	}()

	// Attach and wait before start, so that no output and no exit is
	// missed; both live on a context of their own, which outlives ctx until
	// the container has stopped.
	bg, cancelBg := context.WithCancel(context.Background())
	defer cancelBg()
	att, err := b.cli.ContainerAttach(bg, id, container.AttachOptions{Stream: true, Stdin: true, Stdout: true, Stderr: true})
	if err != nil {
		return -1, fmt.Errorf("run %s: attach: %w", step.Name, err)
	}
	defer att.Close()
	waitC, waitErrC := b.cli.ContainerWait(bg, id, container.WaitConditionNextExit)
	if err := b.cli.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
		if ctx.Err() != nil {
			return -1, stopped(err)
		}
		return -1, fmt.Errorf("run %s: start: %w", step.Name, err)
	}
	go func() {
		// A write error means the shell is gone; its exit says why.
		_, _ = io.Copy(att.Conn, strings.NewReader(step.Script))
		_ = att.CloseWrite()
	}()
	copied := make(chan error, 1)
	go func() {
		_, err := stdcopy.StdCopy(out, out, att.Reader)
		copied <- err
	}()

	var code int
	var waitErr error
	select {
	case r := <-waitC:
		code, waitErr = exitOf(r)
	case err := <-waitErrC:
		waitErr = fmt.Errorf("lost the docker engine while the step ran (is dockerd running?): %w", err)
	case <-ctx.Done():
		err := s.stop(id, waitC, waitErrC)
		s.drain(copied, att.Close)
		return -1, stopped(err)
	}
	copyErr := s.drain(copied, att.Close)
	if waitErr != nil {
		return -1, fmt.Errorf("run %s: %w", step.Name, waitErr)
	}
	if copyErr != nil && !errors.Is(copyErr, io.ErrClosedPipe) && !strings.Contains(copyErr.Error(), "use of closed") {
		return code, fmt.Errorf("run %s: write output: %w", step.Name, copyErr)
	}
	return code, nil
}

// createStep creates the container of one step.
func (s *session) createStep(ctx context.Context, name string) (string, error) {
	b := s.b
	init := true
	cfg := &container.Config{
		Image: s.image,
		Cmd:   []string{"sh", "-c", detectShell},
		// The engine's init is tini: this makes it signal the process group.
		Env:          append(s.env[:len(s.env):len(s.env)], "TINI_KILL_PROCESS_GROUP=1"),
		User:         s.def.User,
		WorkingDir:   s.paths.ProjectDir,
		Labels:       b.labels(s.job, "job"),
		AttachStdin:  true,
		AttachStdout: true,
		AttachStderr: true,
		OpenStdin:    true,
		StdinOnce:    true,
	}
	if s.def.Entrypoint != nil {
		cfg.Entrypoint = s.def.Entrypoint
	}
	host := &container.HostConfig{
		Binds: []string{
			s.job.Workspace + ":" + s.paths.ProjectDir,
			s.hostTmp + ":" + s.paths.TempDir,
		},
		Init: &init,
	}
	if s.sshAgent != "" {
		// The same path inside as outside: a path the job reads from
		// SSH_AUTH_SOCK or a script copied from the host both work.
		// A mount, not a bind: a socket gone meanwhile fails the step
		// instead of becoming an empty directory on the host.
		host.Mounts = append(host.Mounts, mount.Mount{Type: mount.TypeBind, Source: s.sshAgent, Target: s.sshAgent})
		cfg.Env = append(cfg.Env, "SSH_AUTH_SOCK="+s.sshAgent)
	}
	if s.netName != "" {
		host.NetworkMode = container.NetworkMode(s.netName)
	}
	created, err := b.cli.ContainerCreate(ctx, cfg, host, nil, nil, name)
	if err != nil {
		return "", fmt.Errorf("create container: %w", err)
	}
	return created.ID, nil
}

// stop sends SIGTERM to the step, SIGKILL after the grace period, and
// returns once the container has stopped. The exit code of a stopped step
// means nothing: only an engine failure is returned.
func (s *session) stop(id string, waitC <-chan container.WaitResponse, waitErrC <-chan error) error {
	ctx, cancel := context.WithTimeout(context.Background(), removeTimeout)
	defer cancel()
	b := s.b
	if err := b.cli.ContainerKill(ctx, id, "SIGTERM"); err != nil && !isGone(err) {
		return engineError(err)
	}
	t := time.NewTimer(b.cfg.KillGrace)
	defer t.Stop()
	select {
	case r := <-waitC:
		return waitError(r)
	case err := <-waitErrC:
		return engineError(err)
	case <-t.C:
	}
	if err := b.cli.ContainerKill(ctx, id, "SIGKILL"); err != nil && !isGone(err) {
		return engineError(err)
	}
	select {
	case r := <-waitC:
		return waitError(r)
	case err := <-waitErrC:
		return engineError(err)
	case <-ctx.Done():
		return fmt.Errorf("container did not stop after SIGKILL: %w", ctx.Err())
	}
}

// drain waits for the output copy to end, closing the stream after
// outputDrain: a stopped container's stream ends by itself, unless the
// engine is gone.
func (s *session) drain(copied <-chan error, closeStream func()) error {
	select {
	case err := <-copied:
		return err
	case <-time.After(outputDrain):
		closeStream()
		return <-copied
	}
}

func exitOf(r container.WaitResponse) (int, error) {
	if err := waitError(r); err != nil {
		return -1, err
	}
	return int(r.StatusCode), nil
}

// waitError is the engine's error about a wait, nil when there is none.
func waitError(r container.WaitResponse) error {
	if r.Error != nil && r.Error.Message != "" {
		return fmt.Errorf("wait: %s", r.Error.Message)
	}
	return nil
}

// engineError says that the engine, not the job, failed.
func engineError(err error) error {
	return fmt.Errorf("docker engine: %w", err)
}

// isGone reports an error about a container that is not running or no
// longer exists, which a stop can ignore.
func isGone(err error) bool {
	return cerrdefs.IsNotFound(err) || cerrdefs.IsConflict(err)
}

func isNotFound(err error) bool {
	return cerrdefs.IsNotFound(err) || (cerrdefs.IsConflict(err) && strings.Contains(err.Error(), "already in progress"))
}

// stepSlug makes a step name safe for a container name.
func stepSlug(name string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, strings.ToLower(name))
}
