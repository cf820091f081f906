package plan

import (
	"errors"
	"testing"

	"github.com/gantry-ci/gantry/internal/pipeline"
	"github.com/google/go-cmp/cmp"
)

// at is a variable written at line of .gitlab-ci.yml.
func at(line int, name, value string) pipeline.Variable {
	return pipeline.Variable{Name: name, Value: value, Expand: true, Pos: pipeline.Pos{File: ".gitlab-ci.yml", Line: line, Col: 3}}
}

func withVars(vs ...pipeline.Variable) func(*pipeline.Job) {
	return func(j *pipeline.Job) { j.Variables = vs }
}

// planErrors renders every *Error in err, joined or not.
func planErrors(err error) []string {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []string
		for _, e := range j.Unwrap() {
			out = append(out, planErrors(e)...)
		}
		return out
	}
	var pe *Error
	if !errors.As(err, &pe) {
		return []string{"not a plan error: " + err.Error()}
	}
	return []string{pe.Error()}
}

// TestVariableCycles checks that New refuses, as GitLab does, a pipeline
// with a job whose variables refer to each other in a circle, and only
// with the variables GitLab checks.
func TestVariableCycles(t *testing.T) {
	const hint = " refer to each other: change one so it does not refer back, or give it expand: false)"
	tests := []struct {
		name    string
		globals []pipeline.Variable
		jobs    []*pipeline.Job
		trigger Trigger
		want    []string
	}{
		{
			name:    "global cycle, reported once",
			globals: []pipeline.Variable{at(2, "A", "$B"), at(3, "B", "${A}")},
			jobs:    []*pipeline.Job{mk("build", "build"), mk("test", "test")},
			want:    []string{`.gitlab-ci.yml:2:3: job "build": circular variable reference detected: ["A", "B"] (A at .gitlab-ci.yml:2:3, B at .gitlab-ci.yml:3:3` + hint},
		},
		{
			name: "job cycle",
			jobs: []*pipeline.Job{mk("build", "build", withVars(at(12, "X", "x"), at(13, "A", "%B%/x"), at(14, "B", "$C"), at(15, "C", "$A")))},
			want: []string{`.gitlab-ci.yml:13:3: job "build": circular variable reference detected: ["A", "B", "C"] (A at .gitlab-ci.yml:13:3, B at .gitlab-ci.yml:14:3, C at .gitlab-ci.yml:15:3` + hint},
		},
		{
			name:    "through a global and a job variable",
			globals: []pipeline.Variable{at(2, "A", "$B")},
			jobs:    []*pipeline.Job{mk("build", "build", withVars(at(12, "B", "$A")))},
			want:    []string{`.gitlab-ci.yml:2:3: job "build": circular variable reference detected: ["A", "B"] (A at .gitlab-ci.yml:2:3, B at .gitlab-ci.yml:12:3` + hint},
		},
		{
			name:    "through a pipeline variable",
			jobs:    []*pipeline.Job{mk("build", "build", withVars(at(12, "A", "$B")))},
			trigger: branch("main", "B=$A"),
			want:    []string{`.gitlab-ci.yml:12:3: job "build": circular variable reference detected: ["A", "B"] (A at .gitlab-ci.yml:12:3, B from the project or pipeline variables` + hint},
		},
		{
			name:    "only pipeline variables: the job is where",
			jobs:    []*pipeline.Job{mk("build", "build")},
			trigger: branch("main", "A=$B", "B=$A"),
			want:    []string{`.gitlab-ci.yml:10:1: job "build": circular variable reference detected: ["A", "B"] (A from the project or pipeline variables, B from the project or pipeline variables` + hint},
		},
		{
			name: "each job its own",
			jobs: []*pipeline.Job{
				mk("a", "build", withVars(at(12, "A", "$B"), at(13, "B", "$A"))),
				mk("b", "test", withVars(at(22, "C", "$D"), at(23, "D", "$C"))),
			},
			want: []string{
				`.gitlab-ci.yml:12:3: job "a": circular variable reference detected: ["A", "B"] (A at .gitlab-ci.yml:12:3, B at .gitlab-ci.yml:13:3` + hint,
				`.gitlab-ci.yml:22:3: job "b": circular variable reference detected: ["C", "D"] (C at .gitlab-ci.yml:22:3, D at .gitlab-ci.yml:23:3` + hint,
			},
		},
		{
			name: "through a matrix value",
			jobs: []*pipeline.Job{mk("m", "test", withVars(at(12, "A", "$OS")), func(j *pipeline.Job) {
				j.Parallel = &pipeline.Parallel{Matrix: []pipeline.MatrixEntry{{{Name: "OS", Values: []string{"linux", "$A"}}}}}
			})},
			want: []string{`.gitlab-ci.yml:12:3: job "m: [$A]": circular variable reference detected: ["A", "OS"] (A at .gitlab-ci.yml:12:3, OS from parallel:matrix` + hint},
		},
		{
			name: "expand: false breaks it",
			jobs: []*pipeline.Job{mk("build", "build", withVars(at(12, "A", "$B"), pipeline.Variable{Name: "B", Value: "$A"}))},
		},
		{
			name: "a self reference is not a cycle",
			jobs: []*pipeline.Job{mk("build", "build", withVars(at(12, "PATH", "$PATH:/x")))},
		},
		{
			name: "rules variables are not checked",
			jobs: []*pipeline.Job{mk("build", "build", withVars(at(12, "A", "$B")),
				rules(pipeline.Rule{Variables: []pipeline.Variable{at(21, "B", "$A")}}))},
		},
		{
			name: "a job not in the pipeline is not checked",
			jobs: []*pipeline.Job{
				mk("build", "build"),
				mk("never", "test", withVars(at(12, "A", "$B"), at(13, "B", "$A")), rules(ifRule(`$CI_COMMIT_BRANCH == "other"`, ""))),
			},
		},
		{
			name:    "a job that does not inherit the globals",
			globals: []pipeline.Variable{at(2, "A", "$B"), at(3, "B", "$A")},
			jobs: []*pipeline.Job{mk("build", "build", func(j *pipeline.Job) {
				j.Inherit.VarsAll = false
			})},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := pl(tt.jobs...)
			p.Variables = tt.globals
			tr := tt.trigger
			if tr.Ref == "" {
				tr = branch("main")
			}
			_, err := New(p, tr)
			if diff := cmp.Diff(tt.want, planErrors(err)); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCheckVariables checks the trigger-free check a linter runs.
func TestCheckVariables(t *testing.T) {
	p := pl(
		mk("a", "build", withVars(at(12, "A", "$B"), at(13, "B", "$A"))),
		mk("b", "test", rules(ifRule(`$NEVER`, ""))),
		mk("c", "test", withVars(at(32, "C", "$C"))),
	)
	p.Variables = []pipeline.Variable{at(2, "G", "$H"), at(3, "H", "$G")}
	var got []string
	for _, e := range CheckVariables(p) {
		got = append(got, e.Error())
	}
	want := []string{
		`.gitlab-ci.yml:2:3: job "a": circular variable reference detected: ["G", "H"], ["A", "B"] (G at .gitlab-ci.yml:2:3, H at .gitlab-ci.yml:3:3, A at .gitlab-ci.yml:12:3, B at .gitlab-ci.yml:13:3 refer to each other: change one so it does not refer back, or give it expand: false)`,
		`.gitlab-ci.yml:2:3: job "b": circular variable reference detected: ["G", "H"] (G at .gitlab-ci.yml:2:3, H at .gitlab-ci.yml:3:3 refer to each other: change one so it does not refer back, or give it expand: false)`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if errs := CheckVariables(pl(mk("ok", "test", withVars(at(12, "A", "$B"), at(13, "B", "x"))))); len(errs) != 0 {
		t.Errorf("no cycle, got %v", errs)
	}
}
