package plan

import (
	"strings"
	"testing"

	"github.com/gantry-ci/gantry/internal/pipeline"
	"github.com/google/go-cmp/cmp"
)

func matrix(entries ...pipeline.MatrixEntry) func(*pipeline.Job) {
	return func(j *pipeline.Job) { j.Parallel = &pipeline.Parallel{Matrix: entries} }
}

func mv(name string, values ...string) pipeline.MatrixVar {
	return pipeline.MatrixVar{Name: name, Values: values}
}

func TestMatrix(t *testing.T) {
	deploy := mk("deploystacks", "build", matrix(
		pipeline.MatrixEntry{mv("PROVIDER", "aws"), mv("STACK", "monitoring", "app1")},
		pipeline.MatrixEntry{mv("PROVIDER", "gcp", "vultr"), mv("STACK", "data", "processing")},
	))
	p := pl(deploy,
		mk("all", "test", needs("deploystacks")),
		mk("some", "test", func(j *pipeline.Job) {
			j.Needs = []pipeline.Need{{Job: "deploystacks", Artifacts: true, Matrix: []pipeline.MatrixEntry{
				{mv("STACK", "data"), mv("PROVIDER", "gcp", "vultr")}, // keys in another order
			}}}
		}),
		mk("one", "test", needs("deploystacks: [aws, app1]")),
		mk("split", "test", func(j *pipeline.Job) { j.Parallel = &pipeline.Parallel{Count: 3} }),
		mk("deps", "deploy", func(j *pipeline.Job) { j.Dependencies = []string{"split"} }),
	)
	got := mustNew(t, p, branch("main"))

	names := []string{}
	for _, j := range got.Jobs {
		names = append(names, j.Name)
	}
	want := []string{
		"deploystacks: [aws, monitoring]", "deploystacks: [aws, app1]",
		"deploystacks: [gcp, data]", "deploystacks: [gcp, processing]",
		"deploystacks: [vultr, data]", "deploystacks: [vultr, processing]",
		"all", "some", "one", "split 1/3", "split 2/3", "split 3/3", "deps",
	}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Fatalf("names (-want +got):\n%s", diff)
	}
	needNames := func(name string) string {
		var out []string
		for _, n := range got.Job(name).Needs {
			out = append(out, n.Job)
		}
		return strings.Join(out, ",")
	}
	if n := needNames("all"); n != strings.Join(want[:6], ",") {
		t.Errorf("all needs %s", n)
	}
	if n := needNames("some"); n != "deploystacks: [gcp, data],deploystacks: [vultr, data]" {
		t.Errorf("some needs %s", n)
	}
	if n := needNames("one"); n != "deploystacks: [aws, app1]" {
		t.Errorf("one needs %s", n)
	}
	if d := strings.Join(got.Job("deps").Dependencies, ","); d != "split 1/3,split 2/3,split 3/3" {
		t.Errorf("deps dependencies %s", d)
	}

	inst := got.Job("deploystacks: [vultr, processing]")
	if inst.Base != "deploystacks" || inst.NodeIndex != 6 || inst.NodeTotal != 6 {
		t.Errorf("instance = base %q node %d/%d", inst.Base, inst.NodeIndex, inst.NodeTotal)
	}
	for name, w := range map[string]string{"PROVIDER": "vultr", "STACK": "processing", "CI_NODE_INDEX": "6", "CI_NODE_TOTAL": "6"} {
		if v := varOf(t, inst, name); v != w {
			t.Errorf("%s = %q, want %q", name, v, w)
		}
	}
	if v := varOf(t, got.Job("split 2/3"), "CI_NODE_INDEX"); v != "2" {
		t.Errorf("split 2/3 CI_NODE_INDEX = %q", v)
	}
	if _, ok := got.Job("all").Lookup("CI_NODE_INDEX"); ok {
		t.Error("a job without parallel has CI_NODE_INDEX")
	}
	if v := varOf(t, got.Job("all"), "CI_NODE_TOTAL"); v != "1" {
		t.Errorf("a job without parallel has CI_NODE_TOTAL %q, want 1", v)
	}
	if got.Job("deploystacks: [gcp,data]") == nil {
		t.Error("Job does not find a matrix name written without spaces")
	}
}

func TestMatrixRulesPerInstance(t *testing.T) {
	p := pl(
		mk("test", "test", matrix(pipeline.MatrixEntry{mv("OS", "linux", "windows")}),
			rules(ifRule(`$OS == "linux"`, ""), ifRule(`$OS == "windows"`, pipeline.WhenManual))),
		mk("after", "deploy", needs("test")),
	)
	got := summarize(mustNew(t, p, branch("main")))
	want := []summary{
		s("test: [linux]", ""),
		{"test: [windows]", pipeline.WhenManual, false, ""},
		s("after", "test: [linux],test: [windows]"),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	// An instance that rules drop is still needed by "needs: [test]".
	p.Jobs[0].Rules = []pipeline.Rule{ifRule(`$OS == "linux"`, "")}
	if _, err := New(p, branch("main")); err == nil || !strings.Contains(err.Error(), `"test: [windows]" does not exist`) {
		t.Errorf("err = %v, want the missing windows instance named", err)
	}
}

func TestNeedsMatrixSelectsNothing(t *testing.T) {
	p := pl(mk("build", "build", matrix(pipeline.MatrixEntry{mv("OS", "linux")})),
		mk("test", "test", func(j *pipeline.Job) {
			j.Needs = []pipeline.Need{{Job: "build", Matrix: []pipeline.MatrixEntry{{mv("OS", "mac")}}}}
		}))
	if _, err := New(p, branch("main")); err == nil || !strings.Contains(err.Error(), "selects no instance") {
		t.Errorf("err = %v", err)
	}
}

func TestDependencies(t *testing.T) {
	tests := []struct {
		name    string
		jobs    []*pipeline.Job
		want    string
		wantErr string
	}{
		{"all earlier stages by default", []*pipeline.Job{mk("a", "build"), mk("b", "build"), mk("c", "test")}, "a,b", ""},
		{"needs with artifacts", []*pipeline.Job{mk("a", "build"), mk("b", "build"), mk("c", "test", func(j *pipeline.Job) {
			j.Needs = []pipeline.Need{{Job: "a", Artifacts: false}, {Job: "b", Artifacts: true}}
		})}, "b", ""},
		{"dependencies keyword", []*pipeline.Job{mk("a", "build"), mk("b", "build"), mk("c", "test", func(j *pipeline.Job) { j.Dependencies = []string{"a"} })}, "a", ""},
		{"empty dependencies", []*pipeline.Job{mk("a", "build"), mk("c", "test", func(j *pipeline.Job) { j.Dependencies = []string{} })}, "", ""},
		{"dependency absent from the pipeline is skipped", []*pipeline.Job{mk("a", "build", only("tags")), mk("b", "build"),
			mk("c", "test", func(j *pipeline.Job) { j.Dependencies = []string{"a", "b"} })}, "b", ""},
		{"undefined dependency", []*pipeline.Job{mk("c", "test", func(j *pipeline.Job) { j.Dependencies = []string{"invalid"} })}, "", `dependencies: "invalid" is not defined`},
		{"dependency in a later stage", []*pipeline.Job{mk("c", "test", func(j *pipeline.Job) { j.Dependencies = []string{"d"} }), mk("d", "deploy")}, "", "later stage"},
		{"dependency needed without artifacts restores nothing", []*pipeline.Job{mk("one", "build"), mk("two", "build"), mk("c", "test", func(j *pipeline.Job) {
			j.Needs = []pipeline.Need{{Job: "one", Artifacts: false}, {Job: "two", Artifacts: true}}
			j.Dependencies = []string{"two", "one"}
		})}, "two", ""},
		{"needs: [] restores none of its dependencies", []*pipeline.Job{mk("a", "build"), mk("b", "build"), mk("c", "test", func(j *pipeline.Job) {
			j.Needs = []pipeline.Need{}
			j.Dependencies = []string{"a", "b"}
		})}, "", ""},
		{"dependency not needed", []*pipeline.Job{mk("one", "build"), mk("two", "build"), mk("three", "build"),
			mk("c", "test", needs("one", "three"), func(j *pipeline.Job) { j.Dependencies = []string{"one", "two"} })}, "", `"two" should be part of needs`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := New(pl(tt.jobs...), branch("main"))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := strings.Join(got.Job("c").Dependencies, ","); d != tt.want {
				t.Errorf("dependencies = %q, want %q", d, tt.want)
			}
			if m := strings.Join(got.Job("c").MissingDependencies, ","); strings.Contains(tt.name, "absent") != (m == "a") {
				t.Errorf("MissingDependencies = %q", m)
			}
		})
	}
}
