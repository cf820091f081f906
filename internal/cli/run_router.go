package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/gantry-ci/gantry/internal/executor"
)

// tagRouter stands for several runners, as a GitLab project served by a
// docker runner and a shell runner tagged "shell" is: a job goes to the
// backend of the first of its tags: that has one (--tag-executor), every
// other job to the default backend (--executor).
type tagRouter struct {
	def    executor.Backend
	routes map[string]executor.Backend
}

// Name is the default backend's: the one most jobs run on.
func (r *tagRouter) Name() string { return r.def.Name() }

// Prepare implements executor.Backend.
func (r *tagRouter) Prepare(ctx context.Context, job *executor.Job) (executor.Session, error) {
	for _, t := range job.Tags {
		if b, ok := r.routes[t]; ok {
			return b.Prepare(ctx, job)
		}
	}
	return r.def.Prepare(ctx, job)
}

// parseTagExecutors reads --tag-executor TAG=EXECUTOR values into a map
// from tag to executor name.
func parseTagExecutors(values []string) (map[string]string, error) {
	out := map[string]string{}
	for _, v := range values {
		tag, name, ok := strings.Cut(v, "=")
		tag, name = strings.TrimSpace(tag), strings.TrimSpace(name)
		if !ok || tag == "" || name == "" {
			return nil, withCode(ExitInvalid, fmt.Errorf("--tag-executor %q: want TAG=EXECUTOR, e.g. shell=shell", v))
		}
		if name != "shell" && name != "docker" {
			return nil, withCode(ExitInvalid, fmt.Errorf("--tag-executor %q: executor %q: use shell or docker", v, name))
		}
		if prev, dup := out[tag]; dup && prev != name {
			return nil, withCode(ExitInvalid, fmt.Errorf("--tag-executor: tag %q routed to both %s and %s", tag, prev, name))
		}
		out[tag] = name
	}
	return out, nil
}
