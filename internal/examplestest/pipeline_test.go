package examplestest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gantry-ci/gantry/internal/executor/docker"
	"github.com/gantry-ci/gantry/internal/gitlabci"
	"github.com/gantry-ci/gantry/internal/gitrepo"
	"github.com/gantry-ci/gantry/internal/jobhooks"
	"github.com/gantry-ci/gantry/internal/plan"
	"github.com/gantry-ci/gantry/internal/scheduler"
	"github.com/gantry-ci/gantry/internal/testenv"
	"github.com/gantry-ci/gantry/internal/workspace"
)

// runJobs runs the named jobs of the pipeline in dir, for a push to ref,
// in Docker containers (their image: and services:) through the
// frontend, the planner and the scheduler, as `gantry run --executor
// docker --job ...` does. It returns the result and each job's log.
func runJobs(t *testing.T, dir, ref string, jobs ...string) (*scheduler.Result, map[string]string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	doc, err := gitlabci.Resolve(ctx, gitlabci.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	p, err := gitlabci.Decode(doc)
	if err != nil {
		t.Fatal(err)
	}
	tr := plan.Trigger{Ref: ref}
	tr.Predefined = plan.Predefined(gitrepo.Info{Dir: dir, Branch: ref, SHA: strings.Repeat("ab", 20), ShortSHA: "abababab"}, tr)
	pl, err := plan.New(p, tr)
	if err != nil {
		t.Fatal(err)
	}
	// Workspaces, artifacts, reports and the coverage: regex, as gantry
	// run has them.
	ws, err := workspace.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	src, err := ws.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var all []string
	for _, j := range pl.Jobs {
		all = append(all, j.Name)
	}
	const pipelineID = "1"
	hooks, err := jobhooks.New(jobhooks.Config{Dir: ws, Source: src, PipelineID: pipelineID, Jobs: all})
	if err != nil {
		t.Fatal(err)
	}
	if pl, err = plan.Select(pl, plan.Selection{Jobs: jobs}); err != nil {
		t.Fatal(err)
	}
	b, err := docker.New(docker.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	logs := map[string]string{}
	s, err := scheduler.New(scheduler.Config{
		Backend: b, Hooks: hooks, PipelineID: pipelineID, Concurrency: 2,
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

// copyGardel copies examples/gardel to a temporary directory, so that
// what the jobs write (.coverage, report.xml, __pycache__) stays out of
// the checkout, and applies edit to it.
func copyGardel(t *testing.T, edit func(dir string)) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "gardel")
	if err := os.CopyFS(dir, os.DirFS(gardelDir(t))); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(dir)
	}
	return dir
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t *testing.T, path, content string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(content); err != nil {
		t.Fatal(err)
	}
}

// TestGardelPipelineInDocker runs the example's own lint and test jobs in
// the Debian python image, with real PostgreSQL and Redis services: what
// a developer runs before pushing. Then it breaks the project the ways the
// jobs must catch.
func TestGardelPipelineInDocker(t *testing.T) {
	for _, name := range []string{"python", "postgres", "redis"} {
		testenv.Image(t, name)
	}
	type want struct {
		job    string
		status scheduler.Status
		log    []string
	}
	tests := []struct {
		name string
		edit func(t *testing.T, dir string)
		jobs []string
		want []want
	}{
		{
			name: "lint and test pass",
			jobs: []string{"lint", "test"},
			want: []want{
				{"lint", scheduler.StatusSuccess, []string{"would be left unchanged"}},
				{"test", scheduler.StatusSuccess, []string{
					" passed",
					"catalog/services/etl.py",
					"TOTAL",
					"System check identified no issues",
				}},
			},
		},
		{
			name: "lint catches an unused import",
			edit: func(t *testing.T, dir string) {
				appendFile(t, filepath.Join(dir, "backend", "catalog", "views.py"), "\nimport os  # unused\n")
			},
			jobs: []string{"lint"},
			want: []want{{"lint", scheduler.StatusFailed, []string{"F401 'os' imported but unused"}}},
		},
		{
			name: "test catches a model change without its migration",
			edit: func(t *testing.T, dir string) {
				path := filepath.Join(dir, "backend", "catalog", "models.py")
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				changed := strings.Replace(string(data),
					`    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2 code")`,
					`    country = models.CharField(max_length=3, blank=True, help_text="ISO 3166-1 alpha-3 code")`, 1)
				if changed == string(data) {
					t.Fatal("models.py changed: update this test's edit")
				}
				writeFile(t, path, changed)
			},
			jobs: []string{"test"},
			want: []want{{"test", scheduler.StatusFailed, []string{"test_models_and_migrations_agree"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyGardel(t, nil)
			if tt.edit != nil {
				tt.edit(t, dir)
			}
			start := time.Now()
			res, logs := runJobs(t, dir, "develop", tt.jobs...)
			t.Logf("%s: %s", strings.Join(tt.jobs, ", "), time.Since(start).Round(100*time.Millisecond))
			byName := map[string]scheduler.JobResult{}
			for _, j := range res.Jobs {
				byName[j.Name] = j
				t.Logf("job %s: %s in %s", j.Name, j.Status, j.Duration.Round(100*time.Millisecond))
				if j.Coverage != nil && j.Tests != nil {
					t.Logf("job %s: coverage %.1f%%, %d tests, %d passed", j.Name, *j.Coverage, j.Tests.Total, j.Tests.Passed)
				}
			}
			for _, w := range tt.want {
				j, ok := byName[w.job]
				if !ok {
					t.Fatalf("job %s did not run; ran %v", w.job, res.Jobs)
				}
				if j.Status != w.status {
					t.Errorf("job %s: %s (%s), want %s; log:\n%s", w.job, j.Status, j.Reason, w.status, logs[w.job])
					continue
				}
				for _, s := range w.log {
					if !strings.Contains(logs[w.job], s) {
						t.Errorf("job %s: log lacks %q; log:\n%s", w.job, s, logs[w.job])
					}
				}
				if w.job == "test" && w.status == scheduler.StatusSuccess {
					if j.Coverage == nil || *j.Coverage < 85 {
						t.Errorf("job test: coverage %v, want the TOTAL line's, at least 85%%", j.Coverage)
					}
					if j.Tests == nil || j.Tests.Total < 50 || j.Tests.Failed+j.Tests.Errors > 0 {
						t.Errorf("job test: tests %+v from report.xml, want 50 or more, all passed", j.Tests)
					}
				}
			}
		})
	}
}
