package cli

import (
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/gantry-ci/gantry/internal/executor"
	"github.com/gantry-ci/gantry/internal/pipeline"
	"github.com/gantry-ci/gantry/internal/plan"
)

// interactive reports whether p has a gitlab-ci-local @Interactive job.
func interactive(p *plan.Plan) bool {
	for _, j := range p.Jobs {
		if j.Spec != nil && j.Spec.Decorators.Interactive {
			return true
		}
	}
	return false
}

// checkInteractive refuses, before anything runs, an @Interactive job that
// would run in a container: only the shell executor hands it the terminal
// (gitlab-ci-local refuses it without --shell-executor-no-image too).
func (f *executorFlags) checkInteractive(p *plan.Plan) error {
	if !interactive(p) {
		return nil
	}
	routes, err := parseTagExecutors(f.tagExecutors)
	if err != nil {
		return err
	}
	for _, j := range p.Jobs {
		if j.Spec == nil || !j.Spec.Decorators.Interactive {
			continue
		}
		name := f.name
		for _, t := range j.Spec.Tags {
			if r, ok := routes[t]; ok {
				name = r
				break
			}
		}
		if name != "shell" {
			return withCode(ExitInvalid, &pipeline.Error{
				Pos:  j.Spec.Decorators.InteractivePos,
				Msg:  fmt.Sprintf("job %s: @Interactive needs the shell executor, but it would run on %s", j.Name, name),
				Hint: "run it with --executor shell, or route one of its tags to shell with --tag-executor TAG=shell",
			})
		}
	}
	return nil
}

// terminal is what @Interactive jobs are attached to: gantry's own streams.
// Stdin is a foreground terminal only when it is one.
func (e *env) terminal() *executor.Terminal {
	t := &executor.Terminal{Stdin: e.stdin, Stdout: e.stdout, Stderr: e.stderr}
	if f, ok := e.stdin.(*os.File); ok {
		t.Foreground = isTTY(f.Fd())
	}
	return t
}

// synced returns e with writes to stdout and stderr serialized, unless
// they are files (the kernel orders those): an @Interactive job's output
// and gantry's own then share them from different goroutines.
func (e *env) synced() *env {
	c := *e
	if _, ok := c.stdout.(*os.File); !ok {
		c.stdout = &syncWriter{w: c.stdout}
	}
	if _, ok := c.stderr.(*os.File); !ok {
		c.stderr = &syncWriter{w: c.stderr}
	}
	return &c
}

// syncWriter serializes writes to w.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
