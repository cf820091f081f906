// Package docker is the executor that runs jobs in containers through the
// Docker Engine API, like GitLab Runner's docker executor: each step of a
// job runs in a fresh container of the job's image with the workspace
// bind-mounted at /builds/<project path>, and the job's services run beside
// it on a network of the job's own, reachable by GitLab's aliases.
//
// Everything the backend creates carries the labels gantry.pipeline,
// gantry.job and gantry.owner (host and process id), and is removed when the
// job ends, times out or is canceled; Sweep removes what a process that died
// left behind.
package docker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/docker/docker/client"

	"github.com/gantry-ci/gantry/internal/executor"
	"github.com/gantry-ci/gantry/internal/registryauth"
)

// Defaults of Config.
const (
	DefaultBuildsDir   = "/builds"
	DefaultServiceWait = 30 * time.Second
	DefaultKillGrace   = 5 * time.Second
	// DefaultProjectPath is the project path under BuildsDir when the job
	// has no CI_PROJECT_PATH.
	DefaultProjectPath = "project"
)

// Labels on every container and network the backend creates.
const (
	LabelPipeline = "gantry.pipeline"
	LabelJob      = "gantry.job"
	// LabelOwner is "<hostname>/<pid>" of the gantry process: Sweep removes
	// only what belongs to processes of this host that are gone.
	LabelOwner = "gantry.owner"
	// LabelRole is "job" or "service".
	LabelRole = "gantry.role"
)

// Config configures the docker backend. The zero value works with the
// engine named by DOCKER_HOST (default: the local socket).
type Config struct {
	// Host is the engine's address (unix:///var/run/docker.sock,
	// tcp://host:2376); empty means DOCKER_HOST and the other DOCKER_*
	// variables, as the docker CLI reads them.
	Host string
	// DefaultImage runs jobs that have no image: (--default-image).
	DefaultImage string
	// BuildsDir is where workspaces are mounted inside the containers.
	BuildsDir string
	// ServiceWait bounds the wait for services' TCP ports.
	ServiceWait time.Duration
	// KillGrace is how long a step's processes get between SIGTERM and
	// SIGKILL when its ctx is done.
	KillGrace time.Duration
	// Credentials are the runner's own registry credentials (GitLab
	// Runner's DOCKER_AUTH_CONFIG in config.toml), used for pulls after
	// the job's variables and before the docker config file of gantry's
	// user.
	Credentials registryauth.Credentials
	// SSHAuthSock is the host path of the user's SSH agent socket
	// (gantry's SSH_AUTH_SOCK): jobs that ask for the agent
	// (executor.Job.InjectSSHAgent) get it mounted at the same path, with
	// SSH_AUTH_SOCK set, so that ssh and git in the job use the user's keys.
	SSHAuthSock string
	// Logger receives what is not about one job (sweeps); nil discards.
	Logger *slog.Logger
}

// Backend runs jobs in Docker containers. It is safe for concurrent use.
type Backend struct {
	cfg   Config
	cli   *client.Client
	owner string
	// tag makes container and network names unique across gantry
	// processes that share an engine (job IDs are unique per process only).
	tag   string
	sweep sync.Once
}

// New returns a docker Backend. It does not contact the engine: the first
// Prepare does, and sweeps what dead gantry processes left behind.
func New(cfg Config) (*Backend, error) {
	if cfg.BuildsDir == "" {
		cfg.BuildsDir = DefaultBuildsDir
	}
	if cfg.ServiceWait <= 0 {
		cfg.ServiceWait = DefaultServiceWait
	}
	if cfg.KillGrace <= 0 {
		cfg.KillGrace = DefaultKillGrace
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	// API-version negotiation lets this client talk to engines as old as
	// Debian 12's docker.io (20.10, API 1.41).
	opts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
	if cfg.Host != "" {
		opts = append(opts, client.WithHost(cfg.Host))
	}
	cli, err := client.NewClientWithOpts(opts...)
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	host, _ := os.Hostname() // a label: an empty host only weakens Sweep
	var b [3]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return &Backend{
		cfg:   cfg,
		cli:   cli,
		owner: host + "/" + strconv.Itoa(os.Getpid()),
		tag:   hex.EncodeToString(b[:]),
	}, nil
}

// Name implements executor.Backend.
func (b *Backend) Name() string { return "docker" }

// Close releases the client's connections.
func (b *Backend) Close() error { return b.cli.Close() }

// Ping checks that the engine answers, for a clear error before a run.
func (b *Backend) Ping(ctx context.Context) error {
	if _, err := b.cli.Ping(ctx); err != nil {
		return fmt.Errorf("docker engine at %s: %w", b.cli.DaemonHost(), err)
	}
	return nil
}

// labels returns the labels of something made for job.
func (b *Backend) labels(job *executor.Job, role string) map[string]string {
	return map[string]string{
		LabelPipeline: job.Pipeline,
		LabelJob:      job.Name,
		LabelOwner:    b.owner,
		LabelRole:     role,
	}
}

// name returns a container or network name for job; parts are safe
// characters.
func (b *Backend) name(job *executor.Job, parts ...string) string {
	n := "gantry-" + b.tag + "-" + job.ID
	for _, p := range parts {
		n += "-" + p
	}
	return n
}
