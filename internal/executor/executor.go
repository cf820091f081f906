// Package executor is the contract between the scheduler and the places jobs
// run (a host shell, Docker, later Kubernetes). A backend only runs bash
// scripts in a prepared environment; what the scripts contain (internal/
// script), when they run, retries, timeouts and log masking are the
// scheduler's business, so a new backend stays small.
//
// # Call order
//
// For each attempt of a job the scheduler calls:
//
//	s, err := backend.Prepare(ctx, job)  // once; on error nothing else is called
//	code, err := s.Run(ctx, mainStep, out) // before_script + script
//	code, err = s.Run(ctx2, afterStep, out) // after_script, if any, with its own ctx
//	err = s.Cleanup(ctx3)                  // always, after the last Run
//
// # Cancellation and time limits
//
// Run's ctx carries the job's timeout and the pipeline's cancellation. When
// it is done, Run must stop the step — every process it started, not just
// the first (a process group, a container) — gracefully first and forcibly
// after a grace period, and return once nothing of the step runs any more,
// with an error wrapping context.Cause(ctx). The scheduler tells a timeout
// from a cancel by the cause.
//
// # Concurrency
//
// Backend methods are called from many goroutines at once, one per running
// job. A Session is used by one goroutine: its Run calls never overlap, and
// Cleanup follows the last Run.
//
// # Repeated and partial calls
//
// Cleanup must work after a failed or interrupted Run and after no Run at
// all; a second Cleanup is a no-op. Prepare that fails must release what it
// had set up itself (the scheduler does not call Cleanup then). Run may be
// called again after a failed Run (after_script follows a failed script).
package executor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Backend prepares the environment a job's steps run in.
type Backend interface {
	// Name is the executor's name as users select it ("shell", "docker").
	Name() string
	// Prepare sets up everything the job's steps need (a directory, a
	// container image, service containers, a network) and returns the
	// session the steps run in. Messages for the user (pull progress, a
	// notice that image: is ignored) go to job.Log.
	Prepare(ctx context.Context, job *Job) (Session, error)
}

// Session is one prepared job environment.
type Session interface {
	// Paths are the directories as the job's scripts see them.
	Paths() Paths
	// Run runs step.Script with bash and writes its merged stdout and
	// stderr, in order, to out. It returns the script's exit code when
	// the script ran to its end (whatever the code), or an error when the
	// step could not run or was stopped because ctx was done.
	Run(ctx context.Context, step *Step, out io.Writer) (exitCode int, err error)
	// Cleanup stops whatever is left of the job and removes what Prepare
	// made, except Job.Workspace (it belongs to the caller).
	Cleanup(ctx context.Context) error
}

// Paths are directories as seen from inside the job.
type Paths struct {
	// ProjectDir is CI_PROJECT_DIR: the job's workspace, where scripts run.
	ProjectDir string
	// TempDir holds file-type variables; outside ProjectDir so that
	// artifacts never pick them up.
	TempDir string
}

// Job is what a backend needs to know about one attempt of a job.
type Job struct {
	// ID is unique within the process across pipelines and attempts, made
	// of safe characters ([a-z0-9-]): backends use it to name containers,
	// networks and temporary directories.
	ID string
	// Name and Pipeline are for labels and messages.
	Name     string
	Pipeline string
	// Workspace is the job's directory on the host, already populated
	// (sources, restored artifacts and cache). Backends run the scripts in
	// it or mount it at Paths().ProjectDir.
	Workspace string
	// Image and Services are the job's image: and services:; nil/empty
	// when the job has none. Backends that cannot run them say so on Log.
	Image    *Image
	Services []Service
	// Tags are the job's tags:, as written. A backend that stands for
	// several runners routes the job by them, as GitLab gives a job to a
	// runner whose tags cover the job's.
	Tags []string
	// Env is the job's variables, final values in precedence order (later
	// wins). Scripts export them themselves; backends need them for
	// services (GitLab passes job variables to services) and may set them
	// in the process or container environment.
	Env []Variable
	// InjectSSHAgent asks for the user's SSH agent inside the job
	// (gitlab-ci-local's @InjectSSHAgent decorator). Backends whose jobs
	// inherit gantry's environment (shell) have it already; container
	// backends mount the agent's socket and set SSH_AUTH_SOCK.
	InjectSSHAgent bool
	// Log receives the backend's own messages for the job's log.
	Log io.Writer
}

// CheckWorkspace reports why Workspace cannot hold the job's steps: it
// must name an existing directory.
func (j *Job) CheckWorkspace() error {
	if j.Workspace == "" {
		return errors.New("no workspace")
	}
	fi, err := os.Stat(j.Workspace)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("workspace %s is not a directory", j.Workspace)
	}
	return nil
}

// HostTempDir is the host directory for the job's file variables: beside
// the workspace ("<workspace>.tmp", as GitLab does), so that artifacts
// never pick them up.
func (j *Job) HostTempDir() string {
	return strings.TrimRight(j.Workspace, "/") + ".tmp"
}

// ProcessEnv returns base followed by the job's variables as NAME=VALUE,
// for a process or container environment. File variables are left out:
// their value is a path only the script creates.
func (j *Job) ProcessEnv(base []string) []string {
	env := make([]string, len(base), len(base)+len(j.Env))
	copy(env, base)
	for _, v := range j.Env {
		if !v.File {
			env = append(env, v.Name+"="+v.Value)
		}
	}
	return env
}

// Image is a container image reference with GitLab's image: options.
type Image struct {
	Name       string
	Entrypoint []string
	// PullPolicy is always, if-not-present or never, in order of preference.
	PullPolicy []string
	User       string
}

// Service is one entry of services:.
type Service struct {
	Image
	Aliases   []string
	Command   []string
	Variables []Variable
}

// Variable is one environment variable. A File variable's value goes in a
// file under Paths.TempDir, and the variable holds that file's path, as in
// GitLab (internal/script writes the file).
type Variable struct {
	Name  string
	Value string
	File  bool
}

// Step is one script to run in a session.
type Step struct {
	// Name is "script" (before_script + script) or "after_script".
	Name string
	// Script is a complete bash script, fed to bash on standard input.
	Script string
	// Terminal, when set, is where the step's standard streams go instead
	// of Run's out, which then receives nothing: gitlab-ci-local's
	// @Interactive jobs talk to the user's terminal. Backends that cannot
	// attach a terminal (containers) ignore it; the caller refuses such
	// jobs before they run.
	Terminal *Terminal
}

// Terminal is the standard input, output and error a step is attached to
// directly. Nil fields are /dev/null.
type Terminal struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Foreground says Stdin is a terminal the step reads: its processes
	// must then stay in the terminal's foreground process group (gantry's),
	// or reading stops them.
	Foreground bool
}

// Step names.
const (
	StepScript      = "script"
	StepAfterScript = "after_script"
)

// ErrStopped is wrapped, with the context's cause, by Run when it stopped a
// step because its ctx was done.
var ErrStopped = errors.New("step stopped")
