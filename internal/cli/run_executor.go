package cli

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/gantry-ci/gantry/internal/executor"
	"github.com/gantry-ci/gantry/internal/executor/docker"
	"github.com/gantry-ci/gantry/internal/executor/shell"
	"github.com/gantry-ci/gantry/internal/plan"
	"github.com/gantry-ci/gantry/internal/registryauth"
	"github.com/gantry-ci/gantry/internal/scheduler"
	"github.com/spf13/pflag"
)

// executorFlags choose and configure the backend jobs run on.
type executorFlags struct {
	name         string
	defaultImage string
	serviceWait  time.Duration
	tagExecutors []string
}

func (f *executorFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.name, "executor", "shell", "where jobs run: shell (this machine) or docker (a container of the job's image:, with its services:)")
	fs.StringVar(&f.defaultImage, "default-image", "", "with --executor docker, the image of jobs without image:")
	fs.DurationVar(&f.serviceWait, "service-wait", 30*time.Second, "with --executor docker, how long to wait for services' ports")
	fs.StringArrayVar(&f.tagExecutors, "tag-executor", nil, "run jobs tagged `TAG=EXECUTOR` on that executor, as GitLab picks a runner by tags: (repeatable; e.g. --executor docker --tag-executor shell=shell)")
}

// backend opens the chosen executor, and the ones --tag-executor names,
// behind a router; close releases them all after the run.
func (f *executorFlags) backend(ctx context.Context) (b executor.Backend, close func(), err error) {
	routes, err := parseTagExecutors(f.tagExecutors)
	if err != nil {
		return nil, nil, err
	}
	opened := map[string]executor.Backend{}
	var closers []func()
	closeAll := func() {
		for _, c := range closers {
			c()
		}
	}
	open := func(name string) (executor.Backend, error) {
		if b, ok := opened[name]; ok {
			return b, nil
		}
		b, c, err := f.open(ctx, name)
		if err != nil {
			return nil, err
		}
		opened[name], closers = b, append(closers, c)
		return b, nil
	}
	def, err := open(f.name)
	if err != nil {
		return nil, nil, err
	}
	if len(routes) == 0 {
		return def, closeAll, nil
	}
	r := &tagRouter{def: def, routes: map[string]executor.Backend{}}
	for tag, name := range routes {
		b, err := open(name)
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		r.routes[tag] = b
	}
	return r, closeAll, nil
}

// open opens the executor called name; close releases it.
func (f *executorFlags) open(ctx context.Context, name string) (b executor.Backend, close func(), err error) {
	switch name {
	case "shell":
		return shell.New(shell.Config{}), func() {}, nil
	case "docker":
		creds, err := runnerCredentials(os.Getenv)
		if err != nil {
			return nil, nil, withCode(ExitInvalid, fmt.Errorf("docker executor: %w", err))
		}
		d, err := docker.New(docker.Config{
			DefaultImage: f.defaultImage,
			ServiceWait:  f.serviceWait,
			Credentials:  creds,
			// Only jobs with @InjectSSHAgent get it.
			SSHAuthSock: os.Getenv("SSH_AUTH_SOCK"),
		})
		if err != nil {
			return nil, nil, fmt.Errorf("docker executor: %w", err)
		}
		// Fail before the first job, with the engine's own words, rather
		// than once per job.
		if err := d.Ping(ctx); err != nil {
			_ = d.Close() // the ping error is the one to report
			return nil, nil, fmt.Errorf("docker executor: %w", err)
		}
		return d, func() { _ = d.Close() }, nil // nothing left to do if closing fails
	}
	return nil, nil, withCode(ExitInvalid, fmt.Errorf("--executor %q: use shell or docker", name))
}

// runnerCredentials are the registry credentials in gantry's own
// environment (DOCKER_AUTH_CONFIG, CI_REGISTRY with CI_REGISTRY_USER and
// CI_REGISTRY_PASSWORD): the runner-level ones of GitLab Runner's
// config.toml, which the docker executor uses for the pulls a job's own
// variables do not cover. A DOCKER_AUTH_CONFIG that cannot be read fails
// the run before any job, not each job's pull.
func runnerCredentials(getenv func(string) string) (registryauth.Credentials, error) {
	c := registryauth.FromEnv(getenv)
	if _, err := registryauth.NewResolver(c); err != nil {
		return registryauth.Credentials{}, fmt.Errorf("gantry's environment: %w", err)
	}
	return c, nil
}

// environmentSecrets are the credentials in gantry's own environment, for
// every job's masker: shell jobs inherit that environment, so a job that
// echoes $CI_REGISTRY_PASSWORD would otherwise show the runner's password,
// and a pull's messages must not show the docker executor's.
func environmentSecrets(getenv func(string) string) []string {
	var vars []plan.Variable
	for _, name := range append([]string{registryauth.VarDockerAuthConfig, registryauth.VarUser}, scheduler.CredentialVariables...) {
		if v := getenv(name); v != "" {
			vars = append(vars, plan.Variable{Name: name, Value: v})
		}
	}
	// Values too short to mask stay visible, as in the jobs' variables.
	secrets, _ := scheduler.CredentialSecrets(vars)
	return secrets
}
