package docker

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"

	"github.com/gantry-ci/gantry/internal/executor"
	"github.com/gantry-ci/gantry/internal/script"
	"github.com/gantry-ci/gantry/internal/testenv"
)

// newBackend returns a backend on the test engine with short waits.
func newBackend(t *testing.T, cfg Config) *Backend {
	t.Helper()
	testenv.Require(t, "docker")
	if cfg.KillGrace == 0 {
		cfg.KillGrace = time.Second
	}
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// syncBuffer is a bytes.Buffer safe for the backend's writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newJob returns a job with a fresh workspace and a pipeline id of its own,
// whose leftovers are checked when the test ends.
func newJob(t *testing.T, b *Backend, img string) (*executor.Job, *syncBuffer) {
	t.Helper()
	var r [4]byte
	_, _ = rand.Read(r[:])
	pipeline := "test-" + hex.EncodeToString(r[:])
	ws := filepath.Join(t.TempDir(), "ws")
	if err := os.Mkdir(ws, 0o755); err != nil {
		t.Fatal(err)
	}
	log := &syncBuffer{}
	job := &executor.Job{
		ID:        pipeline + "-job",
		Name:      t.Name(),
		Pipeline:  pipeline,
		Workspace: ws,
		Log:       log,
		Env:       []executor.Variable{{Name: "CI_PROJECT_PATH", Value: "group/project"}},
	}
	if img != "" {
		job.Image = &executor.Image{Name: img}
	}
	t.Cleanup(func() { assertNoLeftovers(t, b, pipeline) })
	return job, log
}

// step builds a step with the scheduler's script builder.
func step(p executor.Paths, vars []executor.Variable, commands ...string) *executor.Step {
	return &executor.Step{Name: executor.StepScript, Script: script.Build(commands, script.Options{
		Dir: p.ProjectDir, TempDir: p.TempDir, Variables: vars,
	})}
}

// assertNoLeftovers fails when a container or network of pipeline is left,
// and removes them so that one failure does not leak into other tests.
func assertNoLeftovers(t *testing.T, b *Backend, pipeline string) {
	t.Helper()
	ctx := context.Background()
	f := filters.NewArgs(filters.Arg("label", LabelPipeline+"="+pipeline))
	ctrs, err := b.cli.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		t.Errorf("list containers: %v", err)
	}
	for _, c := range ctrs {
		t.Errorf("container left behind: %s %v (%s)", c.ID[:12], c.Names, c.State)
		_ = b.remove(ctx, c.ID) // best effort: the test has failed already
	}
	nets, err := b.cli.NetworkList(ctx, network.ListOptions{Filters: f})
	if err != nil {
		t.Errorf("list networks: %v", err)
	}
	for _, n := range nets {
		t.Errorf("network left behind: %s", n.Name)
		_ = b.cli.NetworkRemove(ctx, n.ID) // as above
	}
}

// runJob prepares job, runs commands as its script step and cleans up,
// returning the exit code and output.
func runJob(t *testing.T, b *Backend, job *executor.Job, commands ...string) (int, string) {
	t.Helper()
	ctx := context.Background()
	s, err := b.Prepare(ctx, job)
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	defer func() {
		if err := s.Cleanup(ctx); err != nil {
			t.Errorf("Cleanup: %v", err)
		}
	}()
	var out syncBuffer
	code, err := s.Run(ctx, step(s.Paths(), nil, commands...), &out)
	if err != nil {
		t.Fatalf("Run: %v\noutput:\n%s", err, out.String())
	}
	return code, out.String()
}

func mustContain(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s does not contain %q:\n%s", what, w, got)
		}
	}
}

func vars(kv ...string) []executor.Variable {
	var out []executor.Variable
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, executor.Variable{Name: kv[i], Value: kv[i+1]})
	}
	return out
}

// removePipeline removes the containers of pipeline, returning how many.
func removePipeline(ctx context.Context, b *Backend, pipeline string) (int, error) {
	f := filters.NewArgs(filters.Arg("label", LabelPipeline+"="+pipeline))
	ctrs, err := b.cli.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		return 0, err
	}
	for _, c := range ctrs {
		if err := b.remove(ctx, c.ID); err != nil {
			return 0, err
		}
	}
	return len(ctrs), nil
}
