package plan

import (
	"fmt"
	"testing"

	"github.com/gantry-ci/gantry/internal/pipeline"
)

// BenchmarkNew200 plans a 200-job, 4-stage pipeline with rules and global
// variables, the size the brief's memory target names.
func BenchmarkNew200(b *testing.B) {
	stages := []string{"build", "test", "deploy", "release"}
	var jobs []*pipeline.Job
	for i := 0; i < 200; i++ {
		j := mk(fmt.Sprintf("job-%d", i), stages[i%4], jobVars("A=$CI_COMMIT_SHA", "B=${A}-x"),
			rules(ifRule(`$CI_COMMIT_BRANCH == "main" && $X != "1"`, ""), ifRule(`$CI_COMMIT_TAG`, pipeline.WhenManual)))
		jobs = append(jobs, j)
	}
	p := &pipeline.Pipeline{Stages: append(append([]string{".pre"}, stages...), ".post"), Jobs: jobs, Variables: modelVars("G1=1", "G2=$G1")}
	tr := branch("main")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New(p, tr); err != nil {
			b.Fatal(err)
		}
	}
}
