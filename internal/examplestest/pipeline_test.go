package examplestest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gantry-ci/gantry/internal/scheduler"
	"github.com/gantry-ci/gantry/internal/testenv"
)

// runJobs runs `gantry run --executor docker --job ...` on the project in
// dir for a push to ref, and returns the jobs of its report with their
// logs.
func runJobs(t *testing.T, dir, ref string, jobs ...string) (map[string]ranJob, map[string]string) {
	t.Helper()
	args := []string{"run", "--executor", "docker", "--ref", ref}
	for _, j := range jobs {
		args = append(args, "--job", j)
	}
	return runGantry(t, dir, args...)
}

// copyGardel copies examples/gardel to a temporary directory, so that
// what the jobs write (.coverage, report.xml, __pycache__) stays out of
// the checkout.
func copyGardel(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "gardel")
	if err := os.CopyFS(dir, os.DirFS(gardelDir(t))); err != nil {
		t.Fatal(err)
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

// TestGardelPipelineInDocker runs the example's own lint and test jobs
// with `gantry run --executor docker`: in the Debian python image, with
// real PostgreSQL and Redis services, as a developer runs them before
// pushing. Then it breaks the project the ways the
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
			dir := copyGardel(t)
			if tt.edit != nil {
				tt.edit(t, dir)
			}
			start := time.Now()
			byName, logs := runJobs(t, dir, "develop", tt.jobs...)
			t.Logf("gantry run --job %s: %s", strings.Join(tt.jobs, " --job "), time.Since(start).Round(100*time.Millisecond))
			for _, j := range byName {
				t.Logf("job %s: %s in %.1fs", j.Name, j.Status, j.Duration)
				if j.Coverage != nil && j.Tests != nil {
					t.Logf("job %s: coverage %.1f%%, %d tests, %d passed", j.Name, *j.Coverage, j.Tests.Total, j.Tests.Passed)
				}
			}
			for _, w := range tt.want {
				j, ok := byName[w.job]
				if !ok {
					t.Fatalf("job %s did not run; ran %v", w.job, byName)
				}
				if j.Status != w.status.String() {
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
