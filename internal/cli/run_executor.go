package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/gantry-ci/gantry/internal/executor"
	"github.com/gantry-ci/gantry/internal/executor/docker"
	"github.com/gantry-ci/gantry/internal/executor/shell"
	"github.com/spf13/pflag"
)

// executorFlags choose and configure the backend jobs run on.
type executorFlags struct {
	name         string
	defaultImage string
	serviceWait  time.Duration
}

func (f *executorFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.name, "executor", "shell", "where jobs run: shell (this machine) or docker (a container of the job's image:, with its services:)")
	fs.StringVar(&f.defaultImage, "default-image", "", "with --executor docker, the image of jobs without image:")
	fs.DurationVar(&f.serviceWait, "service-wait", 30*time.Second, "with --executor docker, how long to wait for services' ports")
}

// backend opens the chosen executor; close releases it after the run.
func (f *executorFlags) backend(ctx context.Context) (b executor.Backend, close func(), err error) {
	switch f.name {
	case "shell":
		return shell.New(shell.Config{}), func() {}, nil
	case "docker":
		d, err := docker.New(docker.Config{DefaultImage: f.defaultImage, ServiceWait: f.serviceWait})
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
	return nil, nil, withCode(ExitInvalid, fmt.Errorf("--executor %q: use shell or docker", f.name))
}
