package gitrepo_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gantry-ci/gantry/internal/gitrepo"
	"github.com/gantry-ci/gantry/internal/plan"
	"github.com/google/go-cmp/cmp"
)

// TestPredefinedSameBothPaths checks what a pipeline sees: the CI_*
// variables planned from Read (.git read directly where it can) are those
// planned from git's answers, for push, tag and merge request pipelines.
func TestPredefinedSameBothPaths(t *testing.T) {
	ctx := context.Background()
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	gitrepo.ForEachReadCase(t, func(t *testing.T, dir string) {
		viaGit, gitErr := gitrepo.ReadGit(ctx, dir)
		direct, err := gitrepo.Read(ctx, dir)
		if fmt.Sprint(err) != fmt.Sprint(gitErr) {
			t.Fatalf("Read error = %v, git's = %v", err, gitErr)
		}
		if err != nil {
			return
		}
		for _, trig := range []plan.Trigger{
			{},
			{Ref: "v9", Tag: true},
			{Source: plan.SourceMergeRequest, MergeRequest: &plan.MergeRequest{IID: 1, SourceBranch: "feature", TargetBranch: direct.DefaultBranch}},
		} {
			want := plan.Predefined(viaGit, trig, plan.WithCreatedAt(created))
			got := plan.Predefined(direct, trig, plan.WithCreatedAt(created))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("trigger %+v: predefined variables differ (-git +Read):\n%s", trig, diff)
			}
		}
	})
}
