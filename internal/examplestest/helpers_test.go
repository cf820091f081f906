package examplestest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gantry-ci/gantry/internal/cli"
	"github.com/gantry-ci/gantry/internal/scheduler"
)

// cmpSorted compares string slices as sets.
var cmpSorted = cmp.Transformer("sorted", func(in []string) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	return out
})

// ranJob is what the tests read of a job in `gantry run --report`.
type ranJob struct {
	Name     string               `json:"name"`
	Status   string               `json:"status"`
	Reason   string               `json:"reason"`
	Duration float64              `json:"duration_seconds"`
	Coverage *float64             `json:"coverage"`
	Tests    *scheduler.TestCount `json:"tests"`
	Log      string               `json:"log"`
}

// TestMain removes the gantry binary the tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if gantryPath != "" {
		os.RemoveAll(filepath.Dir(gantryPath))
	}
	os.Exit(code)
}

// runGantry runs gantry's command line with --report in dir and returns
// the report's jobs and their logs.
func runGantry(t *testing.T, dir string, args ...string) (map[string]ranJob, map[string]string) {
	t.Helper()
	// Past the slowest pipeline (the rollback's), short of go test's
	// own limit.
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	report := filepath.Join(t.TempDir(), "report.json")
	args = append(args, "-C", dir, "--quiet", "--report", report)
	var out bytes.Buffer
	code := cli.Main(ctx, args, strings.NewReader(""), &out, &out)
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("gantry %s: exit %d, no report: %v\n%s", strings.Join(args, " "), code, err, out.String())
	}
	// The summary table, as the user sees it.
	if i := strings.LastIndex(out.String(), "\nJOB "); i >= 0 {
		t.Logf("gantry run: exit %d\n%s", code, out.String()[i+1:])
	}
	var r struct{ Jobs []ranJob }
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatalf("report: %v\n%s", err, data)
	}
	ran, logs := map[string]ranJob{}, map[string]string{}
	for _, j := range r.Jobs {
		ran[j.Name] = j
		path := j.Log
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, path)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("job %s: log: %v", j.Name, err)
		}
		logs[j.Name] = string(b)
	}
	return ran, logs
}
