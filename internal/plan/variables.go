package plan

import (
	"regexp"
	"strconv"

	"github.com/gantry-ci/gantry/internal/expr"
	"github.com/gantry-ci/gantry/internal/pipeline"
)

// jobPredefined are the per-job predefined variables known before the
// job is admitted (rules can read them); CI_JOB_ID and the environment's
// come later.
func jobPredefined(in instance, stage string) []Variable {
	var vs vars
	vs.add("CI_JOB_NAME", in.name)
	vs.add("CI_JOB_NAME_SLUG", Slug(in.name))
	vs.add("CI_JOB_STAGE", stage)
	// CI_NODE_TOTAL is 1 for a job without parallel:, as in GitLab;
	// CI_NODE_INDEX exists only for parallel ones.
	total := 1
	if in.parallel {
		vs.add("CI_NODE_INDEX", strconv.Itoa(in.node))
		total = in.total
	}
	vs.add("CI_NODE_TOTAL", strconv.Itoa(total))
	return vs.list
}

// finishVariables builds the job's final, expanded variable list:
// predefined (pipeline, then job), global, job, matrix, rules, trigger.
func (ev *evaluator) finishVariables(pj *pending) {
	j := pj.job
	pre := jobPredefined(pj.inst, j.Stage)
	pre = append(pre, Variable{Name: "CI_JOB_ID", Value: strconv.Itoa(j.ID), Raw: true})
	if j.When == pipeline.WhenManual {
		// GitLab sets it only for jobs a person starts.
		pre = append(pre, Variable{Name: "CI_JOB_MANUAL", Value: "true", Raw: true})
	}
	if u, ok := predefinedValue(ev.predefined, "CI_PROJECT_URL"); ok {
		pre = append(pre, Variable{Name: "CI_JOB_URL", Value: u + "/-/jobs/" + strconv.Itoa(j.ID), Raw: true})
	}
	build := func(extra []Variable) *scope {
		s := newScope(len(ev.predefined) + len(pre) + len(extra) + len(pj.layers.list))
		s.addAll(ev.predefined, fromPredefined)
		s.addAll(pre, fromPredefined)
		s.addAll(extra, fromPredefined)
		s.addScope(pj.layers)
		return s
	}
	s := build(nil)
	final := s.expanded()
	if env := j.Spec.Environment; env != nil {
		j.Environment, pre = resolveEnvironment(env, final)
		final = build(pre).expanded()
	}
	j.Variables = final
}

// resolveEnvironment expands environment:name and url with the job's
// variables and returns the CI_ENVIRONMENT_* variables.
func resolveEnvironment(env *pipeline.Environment, final []Variable) (*pipeline.Environment, []Variable) {
	e := *env
	e.Name = expr.ExpandGitLab(env.Name, lookupOf(final))
	if e.Action == "" {
		e.Action = "start"
	}
	if e.DeploymentTier == "" {
		e.DeploymentTier = GuessTier(e.Name)
	}
	var vs vars
	vs.add("CI_ENVIRONMENT_NAME", e.Name)
	slug := EnvironmentSlug(e.Name)
	vs.add("CI_ENVIRONMENT_SLUG", slug)
	vs.add("CI_ENVIRONMENT_ACTION", e.Action)
	vs.add("CI_ENVIRONMENT_TIER", e.DeploymentTier)
	if env.URL != "" {
		withEnv := append(append([]Variable(nil), final...), vs.list...)
		e.URL = expr.ExpandGitLab(env.URL, lookupOf(withEnv))
		vs.add("CI_ENVIRONMENT_URL", e.URL)
	}
	return &e, vs.list
}

// The patterns GitLab's Environment#guess_tier tries, in order.
var tierGuesses = []struct {
	re   *regexp.Regexp
	tier string
}{
	{regexp.MustCompile(`(?i)(dev|review|trunk)`), "development"},
	{regexp.MustCompile(`(?i)(test|tst|int|ac(ce|)pt|qa|qc|control|quality)`), "testing"},
	{regexp.MustCompile(`(?i)(st(a|)g|mod(e|)l|pre|demo|non)`), "staging"},
	{regexp.MustCompile(`(?i)(pr(o|)d|live)`), "production"},
}

// GuessTier is the deployment tier GitLab gives an environment without
// deployment_tier:, from its name.
func GuessTier(name string) string {
	for _, g := range tierGuesses {
		if g.re.MatchString(name) {
			return g.tier
		}
	}
	return "other"
}

func predefinedValue(vs []Variable, name string) (string, bool) {
	for i := len(vs) - 1; i >= 0; i-- {
		if vs[i].Name == name {
			return vs[i].Value, true
		}
	}
	return "", false
}
