package plan

import (
	"testing"

	"github.com/gantry-ci/gantry/internal/pipeline"
	"github.com/google/go-cmp/cmp"
)

func TestVariablePrecedence(t *testing.T) {
	p := pl(
		mk("job", "test",
			jobVars("JOB=job", "ALL=job", "REF=$GLOBAL-$CI_COMMIT_REF_SLUG", "MATRIX=job"),
			rules(pipeline.Rule{If: `$ALL == "job"`, Variables: modelVars("ALL=rule", "RULE=rule")}),
			func(j *pipeline.Job) {
				j.Parallel = &pipeline.Parallel{Matrix: []pipeline.MatrixEntry{{{Name: "MATRIX", Values: []string{"m"}}}}}
			}),
		mk("no-globals", "test", func(j *pipeline.Job) { j.Inherit = pipeline.Inherit{VarsAll: false, Variables: []string{"KEEP"}} }),
	)
	p.Variables = append(modelVars("GLOBAL=global", "ALL=global", "KEEP=kept", "CI_COMMIT_REF_NAME=overridden"),
		pipeline.Variable{Name: "RAW", Value: "$GLOBAL", Expand: false})
	p.Workflow = &pipeline.Workflow{Name: "Pipeline for $CI_COMMIT_REF_NAME ($WF)", Rules: []pipeline.Rule{{Variables: modelVars("WF=workflow", "GLOBAL=wf-global")}}}
	got := mustNew(t, p, branch("Feature/X", "TRIGGER=trigger", "RULE=trigger"))

	if got.Name != "Pipeline for overridden (workflow)" {
		t.Errorf("workflow name = %q", got.Name)
	}
	job := got.Job("job: [m]")
	if job == nil {
		t.Fatalf("no job %q in %v", "job: [m]", summarize(got))
	}
	want := map[string]string{
		"JOB":                "job",
		"ALL":                "rule",    // rules over job over global
		"RULE":               "trigger", // trigger over rules
		"TRIGGER":            "trigger",
		"MATRIX":             "m", // matrix over job
		"GLOBAL":             "wf-global",
		"WF":                 "workflow",
		"REF":                "wf-global-feature-x",
		"RAW":                "$GLOBAL",
		"CI_PIPELINE_NAME":   "Pipeline for overridden (workflow)",
		"CI_JOB_NAME":        "job: [m]",
		"CI_JOB_NAME_SLUG":   "job---m", // GitLab does not squeeze dashes
		"CI_JOB_STAGE":       "test",
		"CI_NODE_INDEX":      "1",
		"CI_NODE_TOTAL":      "1",
		"CI_COMMIT_REF_SLUG": "feature-x",
		"CI_JOB_ID":          "1",
		"CI_JOB_URL":         "https://gitlab.com/group/sub/app/-/jobs/1",
	}
	for name, w := range want {
		if v := varOf(t, job, name); v != w {
			t.Errorf("%s = %q, want %q", name, v, w)
		}
	}
	seen := map[string]bool{}
	for _, v := range job.Variables {
		if seen[v.Name] {
			t.Errorf("variable %s listed twice", v.Name)
		}
		seen[v.Name] = true
	}

	other := got.Job("no-globals")
	if _, ok := other.Lookup("GLOBAL"); ok {
		t.Error("inherit:variables [KEEP] still passed GLOBAL")
	}
	if _, ok := other.Lookup("WF"); ok {
		t.Error("inherit:variables [KEEP] still passed the workflow rule's WF")
	}
	if v := varOf(t, other, "KEEP"); v != "kept" {
		t.Errorf("KEEP = %q", v)
	}
	if v := varOf(t, other, "CI_JOB_ID"); v != "2" {
		t.Errorf("second job's CI_JOB_ID = %q", v)
	}
}

func TestWorkflowVariablesReachJobRules(t *testing.T) {
	p := pl(mk("deploy", "deploy", rules(ifRule(`$DEPLOY_ENV == "prod"`, ""))), mk("build", "build"))
	p.Workflow = &pipeline.Workflow{Rules: []pipeline.Rule{
		{If: `$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH`, Variables: modelVars("DEPLOY_ENV=prod")},
		{If: `$CI_COMMIT_BRANCH`, Variables: modelVars("DEPLOY_ENV=dev")},
	}}
	if got := summarize(mustNew(t, p, branch("main"))); len(got) != 2 {
		t.Errorf("on main: %v, want build and deploy", got)
	}
	if got := summarize(mustNew(t, p, branch("feature"))); len(got) != 1 {
		t.Errorf("on feature: %v, want build only", got)
	}
}

func TestEnvironment(t *testing.T) {
	p := pl(mk("review", "deploy",
		rules(pipeline.Rule{Variables: modelVars("PIPELINE_ENVIRONMENT=review")}),
		func(j *pipeline.Job) {
			j.Environment = &pipeline.Environment{Name: "$PIPELINE_ENVIRONMENT/$CI_COMMIT_REF_SLUG", URL: "https://$CI_ENVIRONMENT_SLUG.example.com"}
		}),
		mk("prod", "deploy", func(j *pipeline.Job) {
			j.Environment = &pipeline.Environment{Name: "production", Action: "prepare"}
		}))
	got := mustNew(t, p, branch("Feature/X"))
	review := got.Job("review")
	slug := EnvironmentSlug("review/feature-x")
	wantEnv := &pipeline.Environment{Name: "review/feature-x", URL: "https://" + slug + ".example.com", Action: "start", DeploymentTier: "development"}
	if diff := cmp.Diff(wantEnv, review.Environment); diff != "" {
		t.Errorf("environment (-want +got):\n%s", diff)
	}
	for name, w := range map[string]string{
		"CI_ENVIRONMENT_NAME": "review/feature-x", "CI_ENVIRONMENT_SLUG": slug, "CI_ENVIRONMENT_URL": wantEnv.URL,
		"CI_ENVIRONMENT_ACTION": "start", "CI_ENVIRONMENT_TIER": "development",
	} {
		if v := varOf(t, review, name); v != w {
			t.Errorf("%s = %q, want %q", name, v, w)
		}
	}
	prod := got.Job("prod")
	if prod.Environment.DeploymentTier != "production" || varOf(t, prod, "CI_ENVIRONMENT_ACTION") != "prepare" {
		t.Errorf("prod environment = %+v", prod.Environment)
	}
	if _, ok := prod.Lookup("CI_ENVIRONMENT_URL"); ok {
		t.Error("CI_ENVIRONMENT_URL set without environment:url")
	}
	if _, ok := got.Job("review").Lookup("CI_ENVIRONMENT_NAME"); !ok {
		t.Error("review has no CI_ENVIRONMENT_NAME")
	}
}
