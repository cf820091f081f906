package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestListTrigger checks the git facts the trigger reads: whether --ref
// names a tag (and no branch), and which files a feature branch changed
// since it left origin's default branch (all its commits, not the last).
func TestListTrigger(t *testing.T) {
	dir := writeFiles(t, map[string]string{".gitlab-ci.yml": `
tagged:
  script: [x]
  rules: [{if: $CI_COMMIT_TAG}]
branch:
  script: [x]
  rules: [{if: $CI_COMMIT_BRANCH}]
docs:
  script: [x]
  rules: [{if: $CI_COMMIT_BRANCH, changes: ["docs/*"]}]
app:
  script: [x]
  rules: [{if: $CI_COMMIT_BRANCH, changes: ["src/*"]}]
`})
	gitRepo(t, dir, "main")
	gitIn(t, dir, "tag", "v1")
	gitIn(t, dir, "tag", "both")
	gitIn(t, dir, "branch", "both")
	gitIn(t, dir, "checkout", "-q", "-b", "feature")
	for _, f := range []string{"docs/a.md", "src/b.go"} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		gitIn(t, dir, "add", f)
		gitIn(t, dir, "commit", "-q", "-m", f)
	}
	tests := []struct {
		args []string
		want []string
	}{
		{nil, []string{"branch", "docs", "app"}},
		{[]string{"--ref", "v1"}, []string{"tagged"}},
		{[]string{"--ref", "both"}, []string{"branch", "docs", "app"}},
		{[]string{"--tag", "both"}, []string{"tagged"}},
		{[]string{"--changed", "docs/a.md"}, []string{"branch", "docs"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var names []string
			for _, j := range listJobs(t, dir, tt.args...) {
				names = append(names, j.Name)
			}
			if diff := cmp.Diff(tt.want, names); diff != "" {
				t.Errorf("jobs (-want +got):\n%s", diff)
			}
		})
	}
}
