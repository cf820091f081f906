package plan

import (
	"errors"
	"strings"
	"testing"

	"github.com/gantry-ci/gantry/internal/pipeline"
	"github.com/google/go-cmp/cmp"
)

func TestNew(t *testing.T) {
	pFalse, pTrue := false, true
	const mr = "merge_request_event"
	tests := []struct {
		name    string
		p       *pipeline.Pipeline
		t       Trigger
		want    []summary
		wantErr string
	}{
		{
			name: "stages give implicit needs",
			p:    pl(mk("lint", ".pre"), mk("build", "build"), mk("unit", "test"), mk("e2e", "test"), mk("deploy", "deploy")),
			t:    branch("main"),
			want: []summary{s("lint", ""), s("build", "lint"), s("unit", "lint,build"), s("e2e", "lint,build"), s("deploy", "lint,build,unit,e2e")},
		},
		{
			name: "jobs come in stage order then file order",
			p:    pl(mk("deploy", "deploy"), mk("b", "build"), mk("a", "build")),
			t:    branch("main"),
			want: []summary{s("b", ""), s("a", ""), s("deploy", "b,a")},
		},
		{
			name: "explicit needs, same stage allowed, empty needs",
			p:    pl(mk("build", "build"), mk("unit", "test", needs("build")), mk("report", "test", needs("unit")), mk("early", "test", needs())),
			t:    branch("main"),
			want: []summary{s("build", ""), s("unit", "build"), s("report", "unit"), s("early", "")},
		},
		{
			name: "first matching rule wins",
			p: pl(mk("job", "test", rules(
				ifRule(`$CI_COMMIT_BRANCH == "feature"`, pipeline.WhenNever),
				ifRule(`$CI_COMMIT_BRANCH =~ /^fea/`, pipeline.WhenManual),
				ifRule(`$CI_COMMIT_BRANCH`, pipeline.WhenAlways),
			))),
			t:    branch("feat-x"),
			want: []summary{{"job", pipeline.WhenManual, false, ""}},
		},
		{
			name: "rule when never removes the job",
			p:    pl(mk("job", "test", rules(ifRule(`$CI_COMMIT_BRANCH == "feature"`, pipeline.WhenNever), ifRule("", ""))), mk("other", "test")),
			t:    branch("feature"),
			want: []summary{s("other", "")},
		},
		{
			name: "no rule matches: job not in pipeline",
			p:    pl(mk("job", "test", rules(ifRule(`$CI_COMMIT_TAG`, ""))), mk("other", "test")),
			t:    branch("main"),
			want: []summary{s("other", "")},
		},
		{
			name: "empty rules: job not in pipeline",
			p:    pl(mk("job", "test", rules()), mk("other", "test")),
			t:    branch("main"),
			want: []summary{s("other", "")},
		},
		{
			name: "rule without when takes the job's when",
			p:    pl(mk("job", "test", when(pipeline.WhenAlways), rules(ifRule(`$CI_COMMIT_BRANCH`, "")))),
			t:    branch("main"),
			want: []summary{{"job", pipeline.WhenAlways, false, ""}},
		},
		{
			name: "manual: allow_failure true at job level, false from a rule",
			p: pl(
				mk("plain", "test", when(pipeline.WhenManual)),
				mk("ruled", "test", rules(pipeline.Rule{When: pipeline.WhenManual})),
				mk("job-level-with-rules", "test", when(pipeline.WhenManual), rules(pipeline.Rule{})),
				mk("rule-allows", "test", rules(pipeline.Rule{When: pipeline.WhenManual, AllowFailure: &pTrue})),
				mk("job-forbids", "test", when(pipeline.WhenManual), func(j *pipeline.Job) { j.AllowFailure = pipeline.AllowFailure{Set: true} }),
				mk("rule-forbids", "test", when(pipeline.WhenManual), rules(pipeline.Rule{AllowFailure: &pFalse})),
			),
			t: branch("main"),
			want: []summary{
				{"plain", pipeline.WhenManual, true, ""},
				{"ruled", pipeline.WhenManual, false, ""},
				{"job-level-with-rules", pipeline.WhenManual, true, ""},
				{"rule-allows", pipeline.WhenManual, true, ""},
				{"job-forbids", pipeline.WhenManual, false, ""},
				{"rule-forbids", pipeline.WhenManual, false, ""},
			},
		},
		{
			name: "job when never",
			p:    pl(mk("job", "test", when(pipeline.WhenNever)), mk("other", "test")),
			t:    branch("main"),
			want: []summary{s("other", "")},
		},
		{
			name: "rule needs replace the job's needs",
			p: pl(mk("a", "build"), mk("b", "build"),
				mk("job", "test", needs("a"), rules(pipeline.Rule{If: `$FAST`, Needs: []pipeline.Need{{Job: "b", Artifacts: true}}}, pipeline.Rule{}))),
			t:    branch("main", "FAST=1"),
			want: []summary{s("a", ""), s("b", ""), s("job", "b")},
		},
		{
			name: "default only: branches and tags, not merge requests",
			p:    pl(mk("job", "test"), mk("mr", "test", rules(ifRule(`$CI_PIPELINE_SOURCE == "merge_request_event"`, "")))),
			t:    trig("feature", false, mr),
			want: []summary{s("mr", "")},
		},
		{
			name: "default only runs for tags and schedules",
			p:    pl(mk("job", "test")),
			t:    trig("v1.0.0", true, "schedule"),
			want: []summary{s("job", "")},
		},
		{
			name: "only names and regexps, except wins",
			p: pl(
				mk("main-only", "test", only("main")),
				mk("release", "test", only(`/^release-.*$/`)),
				mk("release-i", "test", only(`/^RELEASE-/i`)),
				mk("not-release", "test", except(`/^release-/`)),
				mk("both", "test", only("branches"), except("release-1")),
				mk("other-project", "test", only("branches@other/project")),
				mk("this-project", "test", only("branches@group/sub/app")),
			),
			t:    branch("release-1"),
			want: []summary{s("release", ""), s("release-i", ""), s("this-project", "")},
		},
		{
			name: "only tags except a pattern",
			p:    pl(mk("tags", "test", only("tags"), except(`/^v1\./`)), mk("branches", "test", only("branches"))),
			t:    trig("v2.0", true, "push"),
			want: []summary{s("tags", "")},
		},
		{
			name: "only keywords for sources",
			p: pl(
				mk("mrs", "test", only("merge_requests")),
				mk("web", "test", only("web")),
				mk("sched", "test", only("schedules")),
				mk("pushes", "test", only("pushes")),
				mk("api", "test", only("api")),
				mk("triggers", "test", only("triggers")),
				mk("name-in-mr", "test", only("feature")),
			),
			t:    trig("feature", false, mr),
			want: []summary{s("mrs", "")},
		},
		{
			name: "only schedules on a schedule, pushes on a push",
			p:    pl(mk("sched", "test", only("schedules")), mk("pushes", "test", only("pushes")), mk("triggers", "test", only("triggers"))),
			t:    trig("main", false, "trigger"),
			want: []summary{s("triggers", "")},
		},
		{
			name: "only and except variables",
			p: pl(
				mk("deploy", "test", func(j *pipeline.Job) {
					j.Only = &pipeline.Filter{Refs: []string{"main"}, Variables: []string{`$DEPLOY == "no"`, `$DEPLOY == "yes"`}}
				}),
				mk("skip", "test", func(j *pipeline.Job) { j.Except = &pipeline.Filter{Variables: []string{`$DEPLOY`}} }),
				mk("vars-only", "test", func(j *pipeline.Job) { j.Only = &pipeline.Filter{Variables: []string{`$DEPLOY`}} }),
			),
			t:    branch("main", "DEPLOY=yes"),
			want: []summary{s("deploy", ""), s("vars-only", "")},
		},
		{
			name: "except with several clauses excludes when any holds",
			p: pl(mk("job", "test", func(j *pipeline.Job) {
				j.Except = &pipeline.Filter{Refs: []string{"other"}, Variables: []string{`$SKIP`}}
			}), mk("x", "test")),
			t:    branch("main", "SKIP=1"),
			want: []summary{s("x", "")},
		},
		{
			name: "only kubernetes never holds",
			p:    pl(mk("k8s", "test", func(j *pipeline.Job) { j.Only = &pipeline.Filter{Kubernetes: "active"} }), mk("x", "test")),
			t:    branch("main"),
			want: []summary{s("x", "")},
		},
		{
			name: "optional need on a missing job is dropped",
			p: pl(mk("build", "build"), mk("skipped", "build", rules(ifRule(`$NOPE`, ""))),
				mk("test", "test", needs("build", "skipped?", "undefined?"))),
			t:    branch("main"),
			want: []summary{s("build", ""), s("test", "build")},
		},
		{
			name:    "need on a job absent from the pipeline",
			p:       pl(mk("build", "build", rules(ifRule(`$NOPE`, ""))), mk("test", "test", needs("build"))),
			t:       branch("main"),
			wantErr: `.gitlab-ci.yml:10:1: job "test": needs "build", but "build" does not exist in the pipeline`,
		},
		{
			name:    "need on an undefined job",
			p:       pl(mk("test", "test", needs("nope"))),
			t:       branch("main"),
			wantErr: `job "test": needs "nope", which is not defined`,
		},
		{
			name:    "need on a later stage",
			p:       pl(mk("test-job", "test"), mk("build-job", "build", needs("test-job"))),
			t:       branch("main"),
			wantErr: `job "build-job": needs "test-job", which is in a later stage (test)`,
		},
		{
			name: "workflow rules: no match, no pipeline",
			p: func() *pipeline.Pipeline {
				p := pl(mk("job", "test"))
				p.Workflow = &pipeline.Workflow{Pos: pipeline.Pos{File: ".gitlab-ci.yml", Line: 3, Col: 1},
					Rules: []pipeline.Rule{ifRule(`$CI_COMMIT_TAG`, "")}}
				return p
			}(),
			t:       branch("main"),
			wantErr: "no pipeline: .gitlab-ci.yml:3:1: workflow:rules: no rule matched",
		},
		{
			name: "workflow rules: when never",
			p: func() *pipeline.Pipeline {
				p := pl(mk("job", "test"))
				p.Workflow = &pipeline.Workflow{Rules: []pipeline.Rule{ifRule(`$CI_PIPELINE_SOURCE == "schedule"`, pipeline.WhenNever), {}}}
				return p
			}(),
			t:       trig("main", false, "schedule"),
			wantErr: "no pipeline: .gitlab-ci.yml:20:7: workflow:rules: the matching rule says when: never",
		},
		{
			name:    "only .pre and .post jobs: no pipeline",
			p:       pl(mk("pre", ".pre"), mk("job", "test", only("tags")), mk("post", ".post")),
			t:       branch("main"),
			wantErr: "no pipeline",
		},
		{
			name:    "bad rules:if",
			p:       pl(mk("job", "test", rules(ifRule(`$A ==`, "")))),
			t:       branch("main"),
			wantErr: `.gitlab-ci.yml:20:7: job "job": rules:if "$A =="`,
		},
		{
			name:    "undefined stage",
			p:       pl(mk("job", "lint")),
			t:       branch("main"),
			wantErr: `job "job": stage "lint" is not defined`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := New(tt.p, tt.t)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				if strings.HasPrefix(tt.wantErr, "no pipeline") && !errors.Is(err, ErrNoPipeline) {
					t.Errorf("err = %v, want ErrNoPipeline", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, summarize(got)); diff != "" {
				t.Errorf("jobs (-want +got):\n%s", diff)
			}
		})
	}
}
