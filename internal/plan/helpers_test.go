package plan

import (
	"strings"
	"testing"
	"time"

	"github.com/gantry-ci/gantry/internal/gitrepo"
	"github.com/gantry-ci/gantry/internal/pipeline"
)

// testRepo is the commit every test pipeline runs for.
var testRepo = gitrepo.Info{
	Dir:           "/src/app",
	SHA:           "0123456789abcdef0123456789abcdef01234567",
	ShortSHA:      "01234567",
	Branch:        "main",
	Message:       "Commit Title\n\nMore commit text\n",
	Title:         "Commit Title",
	Description:   "\nMore commit text",
	Author:        "Testersen <test@test.com>",
	Timestamp:     time.Date(2020, 1, 5, 0, 0, 0, 0, time.UTC),
	Parent:        "fedcba9876543210fedcba9876543210fedcba98",
	Remote:        gitrepo.Remote{Host: "gitlab.com", WebScheme: "https", Path: "group/sub/app", Namespace: "group/sub", Name: "app"},
	DefaultBranch: "main",
}

// trig builds a trigger for ref ("v1.0" style refs are tags when tag is
// true) and source, with its predefined variables.
func trig(ref string, tag bool, source string, vars ...string) Trigger {
	t := Trigger{Ref: ref, Tag: tag, Source: source}
	for _, kv := range vars {
		k, v, _ := strings.Cut(kv, "=")
		t.Variables = append(t.Variables, Variable{Name: k, Value: v})
	}
	t.Predefined = Predefined(testRepo, t)
	return t
}

func branch(ref string, vars ...string) Trigger { return trig(ref, false, "push", vars...) }

// mk makes a job as the frontend would (stage test unless given, inherit
// everything), then applies the options.
func mk(name, stage string, opts ...func(*pipeline.Job)) *pipeline.Job {
	j := &pipeline.Job{Name: name, Stage: stage, Script: []string{"true"},
		Inherit: pipeline.Inherit{DefaultAll: true, VarsAll: true},
		Pos:     pipeline.Pos{File: ".gitlab-ci.yml", Line: 10, Col: 1}}
	if j.Stage == "" {
		j.Stage = "test"
	}
	for _, o := range opts {
		o(j)
	}
	return j
}

func rules(rs ...pipeline.Rule) func(*pipeline.Job) {
	return func(j *pipeline.Job) { j.HasRules, j.Rules = true, rs }
}

func ifRule(cond string, when pipeline.When) pipeline.Rule {
	return pipeline.Rule{If: cond, When: when, Pos: pipeline.Pos{File: ".gitlab-ci.yml", Line: 20, Col: 7}}
}

func when(w pipeline.When) func(*pipeline.Job) { return func(j *pipeline.Job) { j.When = w } }

func needs(names ...string) func(*pipeline.Job) {
	return func(j *pipeline.Job) {
		j.Needs = []pipeline.Need{}
		for _, n := range names {
			opt := strings.HasSuffix(n, "?")
			j.Needs = append(j.Needs, pipeline.Need{Job: strings.TrimSuffix(n, "?"), Optional: opt, Artifacts: true})
		}
	}
}

func only(refs ...string) func(*pipeline.Job) {
	return func(j *pipeline.Job) { j.Only = &pipeline.Filter{Refs: refs} }
}

func except(refs ...string) func(*pipeline.Job) {
	return func(j *pipeline.Job) { j.Except = &pipeline.Filter{Refs: refs} }
}

func jobVars(kv ...string) func(*pipeline.Job) {
	return func(j *pipeline.Job) { j.Variables = modelVars(kv...) }
}

func modelVars(kv ...string) []pipeline.Variable {
	var out []pipeline.Variable
	for _, s := range kv {
		k, v, _ := strings.Cut(s, "=")
		out = append(out, pipeline.Variable{Name: k, Value: v, Expand: true})
	}
	return out
}

func pl(jobs ...*pipeline.Job) *pipeline.Pipeline {
	return &pipeline.Pipeline{Stages: pipeline.DefaultStages, Jobs: jobs}
}

// summary is what the table tests compare for each job.
type summary struct {
	Name         string
	When         pipeline.When
	AllowFailure bool
	Needs        string
}

func summarize(p *Plan) []summary {
	var out []summary
	for _, j := range p.Jobs {
		var needs []string
		for _, n := range j.Needs {
			needs = append(needs, n.Job)
		}
		out = append(out, summary{j.Name, j.When, j.AllowFailure.Allowed, strings.Join(needs, ",")})
	}
	return out
}

// s is a summary of an on_success job that may not fail.
func s(name, needs string) summary { return summary{name, pipeline.WhenOnSuccess, false, needs} }

func mustNew(t *testing.T, p *pipeline.Pipeline, tr Trigger) *Plan {
	t.Helper()
	got, err := New(p, tr)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return got
}

func varOf(t *testing.T, j *Job, name string) string {
	t.Helper()
	v, ok := j.Lookup(name)
	if !ok {
		t.Fatalf("job %q has no variable %s", j.Name, name)
	}
	return v
}
