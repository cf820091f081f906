package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"

	"github.com/gantry-ci/gantry/internal/executor"
	"github.com/gantry-ci/gantry/internal/registryauth"
)

// removeTimeout bounds the removal of what a job made, which runs on a
// fresh context because the job's own may be done.
const removeTimeout = 30 * time.Second

// Prepare implements executor.Backend: it makes the job's image available,
// starts its services on a network of the job's own and waits for their
// ports. Steps run later, each in a container of its own (see Run).
func (b *Backend) Prepare(ctx context.Context, job *executor.Job) (executor.Session, error) {
	b.sweep.Do(func() {
		if n, err := b.Sweep(ctx); err != nil {
			b.cfg.Logger.Warn("docker: sweep of leftovers failed", "err", err)
		} else if n > 0 {
			b.cfg.Logger.Info("docker: removed leftovers of earlier runs", "count", n)
		}
	})
	log := job.Log
	if log == nil {
		log = io.Discard
	}
	if err := job.CheckWorkspace(); err != nil {
		return nil, fmt.Errorf("prepare docker job: %w", err)
	}
	img := executor.Image{Name: b.cfg.DefaultImage}
	if job.Image != nil && job.Image.Name != "" {
		img = *job.Image
	}
	if img.Name == "" {
		return nil, fmt.Errorf("job %s has no image: and no default image is set (add image: to the job or pass --default-image)", job.Name)
	}
	creds := b.jobCredentials(job)
	info, err := b.ensureImage(ctx, img.Name, img.PullPolicy, "job "+job.Name, creds, log)
	if err != nil {
		return nil, err
	}

	dir := path.Join(b.cfg.BuildsDir, projectPath(job.Env))
	s := &session{
		b:       b,
		job:     job,
		log:     log,
		image:   info.ID,
		def:     img,
		paths:   executor.Paths{ProjectDir: dir, TempDir: dir + ".tmp"},
		hostTmp: job.HostTempDir(),
		env:     job.ProcessEnv(nil),
		creds:   creds,
	}
	if job.InjectSSHAgent {
		s.sshAgent = sshAgent(b.cfg.SSHAuthSock, log)
	}
	if err := os.MkdirAll(s.hostTmp, 0o700); err != nil {
		return nil, fmt.Errorf("prepare docker job: %w", err)
	}
	if err := s.startServices(ctx); err != nil {
		s.teardown()
		return nil, err
	}
	return s, nil
}

// sshAgent returns the agent socket to mount for a job that asks for it,
// or "" after telling the job's log why there is none: the job still runs,
// as gitlab-ci-local's does, and fails only if it needs the agent.
func sshAgent(sock string, log io.Writer) string {
	const hint = "start one with eval $(ssh-agent) and ssh-add, then run gantry from that shell"
	if sock == "" {
		fmt.Fprintf(log, "@InjectSSHAgent: SSH_AUTH_SOCK is not set where gantry runs: the job gets no SSH agent (%s)\n", hint)
		return ""
	}
	if !filepath.IsAbs(sock) {
		// The container has another working directory: only an absolute
		// path means the same socket inside.
		abs, err := filepath.Abs(sock)
		if err == nil {
			sock = abs
		}
	}
	fi, err := os.Stat(sock)
	if err != nil || fi.Mode().Type() != fs.ModeSocket {
		fmt.Fprintf(log, "@InjectSSHAgent: SSH_AUTH_SOCK=%s is not a socket: the job gets no SSH agent (%s)\n", sock, hint)
		return ""
	}
	return sock
}

// projectPath is CI_PROJECT_PATH made safe as a relative path.
func projectPath(env []executor.Variable) string {
	p := DefaultProjectPath
	for _, v := range env {
		if v.Name == "CI_PROJECT_PATH" && v.Value != "" {
			p = v.Value
		}
	}
	p = strings.TrimLeft(path.Clean("/"+p), "/")
	if p == "" {
		return DefaultProjectPath
	}
	return p
}

// session is one prepared job: its services run; steps run in containers
// made by Run.
type session struct {
	b     *Backend
	job   *executor.Job
	log   io.Writer
	image string // ID, so that every step runs the image Prepare checked
	def   executor.Image
	env   []string
	// creds are the registry credentials for the services' pulls.
	creds []registryauth.Credentials
	paths executor.Paths
	// hostTmp is the host side of paths.TempDir.
	hostTmp string
	// sshAgent is the SSH agent socket mounted into the steps' containers,
	// empty when the job did not ask for it or there is none.
	sshAgent string

	netName  string // empty when the job has no services
	services []*service
	steps    int
	once     sync.Once
}

func (s *session) Paths() executor.Paths { return s.paths }

// startServices makes the job's network and starts and waits for its
// services. What it made stays recorded in s for teardown.
func (s *session) startServices(ctx context.Context) error {
	if len(s.job.Services) == 0 {
		return nil
	}
	b := s.b
	name := b.name(s.job, "net")
	if _, err := b.cli.NetworkCreate(ctx, name, network.CreateOptions{
		Driver: "bridge",
		Labels: b.labels(s.job, "job"),
	}); err != nil {
		return fmt.Errorf("create network for job %s: %w", s.job.Name, err)
	}
	s.netName = name
	for i, def := range s.job.Services {
		svc, err := b.startService(ctx, s.job, name, i, def, s.creds, s.log)
		if svc != nil {
			s.services = append(s.services, svc)
		}
		if err != nil {
			return err
		}
	}
	return b.waitServices(ctx, name, s.services, s.log)
}

// Cleanup implements executor.Session: it removes the services, the
// network and the host side of the temp dir (file variables may hold
// secrets). Step containers are already gone: Run removes its own.
func (s *session) Cleanup(ctx context.Context) error {
	var err error
	s.once.Do(func() { err = s.teardown() })
	return err
}

// teardown removes what Prepare made, on a context of its own: the job's
// may be canceled, and leaving containers behind is worse than waiting.
func (s *session) teardown() error {
	ctx, cancel := context.WithTimeout(context.Background(), removeTimeout)
	defer cancel()
	var errs []error
	for _, svc := range s.services {
		if err := s.b.remove(ctx, svc.id); err != nil {
			errs = append(errs, fmt.Errorf("remove service %s: %w", svc.def.Name, err))
		}
	}
	s.services = nil
	if s.netName != "" {
		if err := s.b.cli.NetworkRemove(ctx, s.netName); err != nil {
			errs = append(errs, fmt.Errorf("remove network: %w", err))
		}
		s.netName = ""
	}
	if err := os.RemoveAll(s.hostTmp); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("cleanup %s: %w", s.job.Name, err)
	}
	return nil
}

// remove force-removes a container with its anonymous volumes and returns
// once it is gone; one that is already gone is fine.
func (b *Backend) remove(ctx context.Context, id string) error {
	err := b.cli.ContainerRemove(ctx, id, container.RemoveOptions{Force: true, RemoveVolumes: true})
	if err == nil || cerrdefs.IsNotFound(err) {
		return nil
	}
	if !isNotFound(err) {
		return err
	}
	// Another removal is under way (a Sweep, a second Cleanup): wait for it.
	for {
		if _, err := b.cli.ContainerInspect(ctx, id); cerrdefs.IsNotFound(err) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("container %s: removal in progress: %w", shortID(id), ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
