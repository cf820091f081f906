package docker

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gantry-ci/gantry/internal/gitlabci"
	"github.com/gantry-ci/gantry/internal/plan"
	"github.com/gantry-ci/gantry/internal/scheduler"
	"github.com/gantry-ci/gantry/internal/testenv"
)

// runPipeline runs the pipeline of testdata/<name> (copied to a temp dir)
// through the frontend, the planner and the scheduler with backend b, and
// returns the result and each job's log and notices.
func runPipeline(t *testing.T, b *Backend, name, pipelineID string) (*scheduler.Result, map[string]string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("testdata", name))); err != nil {
		t.Fatal(err)
	}
	return runPipelineIn(t, b, dir, pipelineID, nil)
}

// runPipelineIn runs the pipeline of dir with the pipeline variables vars
// (as --variable and --secret give them); see runPipeline.
func runPipelineIn(t *testing.T, b *Backend, dir, pipelineID string, vars []plan.Variable) (*scheduler.Result, map[string]string) {
	t.Helper()
	ctx := context.Background()
	doc, err := gitlabci.Resolve(ctx, gitlabci.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	p, err := gitlabci.Decode(doc)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := plan.New(p, plan.Trigger{Ref: "main", Variables: vars, Predefined: []plan.Variable{{Name: "CI_PROJECT_PATH", Value: "gardel/backend"}}})
	if err != nil {
		t.Fatal(err)
	}
	logs := map[string]string{}
	s, err := scheduler.New(scheduler.Config{
		Backend: b, WorkDir: dir, PipelineID: pipelineID,
		OnEvent: func(ev scheduler.Event) {
			if ev.Kind == scheduler.KindJobLog || ev.Kind == scheduler.KindJobNotice {
				logs[ev.Job] += ev.Text
				if !strings.HasSuffix(ev.Text, "\n") {
					logs[ev.Job] += "\n"
				}
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Run(ctx, pl)
	if err != nil {
		t.Fatal(err)
	}
	return res, logs
}

func TestPipelineWithServices(t *testing.T) {
	for _, name := range []string{"python", "postgres", "redis", "busybox"} {
		testenv.Image(t, name)
	}
	tests := []struct {
		name     string
		dir      string
		status   scheduler.Status
		reason   []string
		log      []string
		maxTaken time.Duration
	}{
		{"python test job with postgres and redis", "services", scheduler.StatusSuccess, nil,
			[]string{"postgres: gantry", "redis: hello"}, time.Minute},
		{"service never ready", "service-never-ready", scheduler.StatusFailed,
			[]string{"service gantry-test/busybox:latest (db) did not accept connections on port 5432/tcp within 3s"},
			[]string{"Last lines of the log of service gantry-test/busybox:latest", "db: waiting for a config that never comes"},
			10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBackend(t, Config{ServiceWait: 3 * time.Second})
			job, _ := newJob(t, b, "") // for its leftover check
			start := time.Now()
			res, logs := runPipeline(t, b, tt.dir, job.Pipeline)
			took := time.Since(start)
			j := res.Jobs[0]
			if j.Status != tt.status {
				t.Fatalf("status %s (%s), want %s; log:\n%s", j.Status, j.Reason, tt.status, logs[j.Name])
			}
			mustContain(t, "reason", j.Reason, tt.reason...)
			mustContain(t, "log", logs[j.Name], tt.log...)
			if took > tt.maxTaken {
				t.Errorf("pipeline took %s, want at most %s", took, tt.maxTaken)
			}
		})
	}
}
