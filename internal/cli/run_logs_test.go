package cli

import (
	"testing"

	"github.com/gantry-ci/gantry/internal/workspace"
	"github.com/google/go-cmp/cmp"
)

func TestLogSlugs(t *testing.T) {
	parent := []string{"build", "vars show", "vars", "a b", "a-b"}
	slugs := workspace.UniqueSlugs(parent)
	tests := []struct {
		name string
		job  string
		want string
	}{
		{"a job of the pipeline", "build", "build"},
		{"jobs of the pipeline that share a slug keep their hashes", "a b", slugs["a b"]},
		{"a child's job", "[vars] -> test", "vars-test"},
		{"a nested child's job", "[vars -> nested] -> deep", "vars-nested-deep"},
		{"a child's job whose slug a job of the pipeline has", "[vars] -> show", "vars-show-c37e18eb"},
	}
	slug := logSlugs(func(n string) string { return slugs[n] }, parent)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Asked twice, as a retried job's log is reopened.
			for range 2 {
				if diff := cmp.Diff(tt.want, slug(tt.job)); diff != "" {
					t.Errorf("slug (-want +got):\n%s", diff)
				}
			}
		})
	}
}
