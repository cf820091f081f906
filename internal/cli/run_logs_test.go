package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gantry-ci/gantry/internal/scheduler"
	"github.com/gantry-ci/gantry/internal/workspace"
	"github.com/google/go-cmp/cmp"
)

// TestLogFilesPerPipeline: each pipeline's jobs log in its own directory,
// a child's under the name of its job in the child pipeline, even where
// the parent has a job of that name.
func TestLogFilesPerPipeline(t *testing.T) {
	root := t.TempDir()
	parentDir, childDir := filepath.Join(root, "1"), filepath.Join(root, "2")
	for _, d := range []string{parentDir, childDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	lf := newLogFiles()
	lf.add("1", parentDir, workspace.Slug)
	lf.add("2", childDir, func(job string) string {
		return map[string]string{"[kid] -> show": "show"}[job]
	})
	events := []scheduler.Event{
		{Kind: scheduler.KindJobStarted, Pipeline: "1", Job: "show", Attempt: 1},
		{Kind: scheduler.KindJobStarted, Pipeline: "2", ParentPipeline: "1", Trigger: "kid", Job: "[kid] -> show", Attempt: 1},
		{Kind: scheduler.KindJobLog, Pipeline: "1", Job: "show", Text: "parent\n"},
		{Kind: scheduler.KindJobLog, Pipeline: "2", Job: "[kid] -> show", Text: "child\n"},
		{Kind: scheduler.KindJobFinished, Pipeline: "2", Job: "[kid] -> show", Status: scheduler.StatusSuccess},
		{Kind: scheduler.KindJobFinished, Pipeline: "1", Job: "show", Status: scheduler.StatusSuccess},
	}
	for _, ev := range events {
		lf.Handle(ev)
	}
	if err := lf.Close(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, pipeline, job, path, text string
	}{
		{"the parent's job", "1", "show", filepath.Join(parentDir, "show.log"), "parent\nJob succeeded\n"},
		{"the child's job", "2", "[kid] -> show", filepath.Join(childDir, "show.log"), "child\nJob succeeded\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := lf.Path(tt.pipeline, tt.job); got != tt.path {
				t.Errorf("path %q, want %q", got, tt.path)
			}
			b, err := os.ReadFile(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.text, string(b)); diff != "" {
				t.Errorf("log (-want +got):\n%s", diff)
			}
		})
	}
}
