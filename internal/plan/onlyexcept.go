package plan

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/gantry-ci/gantry/internal/expr"
	"github.com/gantry-ci/gantry/internal/pipeline"
)

// defaultOnly is what a job with neither rules nor only runs on.
var defaultOnly = &pipeline.Filter{Refs: []string{"branches", "tags"}}

// onlyExcept decides a job without rules: every clause of only must hold,
// and no clause of except may (GitLab's all_of_only? && none_of_except?).
func (ev *evaluator) onlyExcept(j *pipeline.Job, s *scope, name string) (bool, error) {
	only := j.Only
	if only == nil {
		only = defaultOnly
	}
	ok, err := ev.filterHolds(only, s, name, true)
	if err != nil || !ok {
		return false, err
	}
	if j.Except == nil {
		return true, nil
	}
	excluded, err := ev.filterHolds(j.Except, s, name, false)
	return !excluded, err
}

// filterHolds evaluates an only: (all, true) or except: (any, false)
// filter. A filter without any clause holds for only: and not for except:.
func (ev *evaluator) filterHolds(f *pipeline.Filter, s *scope, name string, all bool) (bool, error) {
	var results []bool
	if f.Refs != nil {
		results = append(results, ev.refsMatch(f.Refs, s))
	}
	if f.Variables != nil {
		ok, err := ev.anyVariables(f, s, name)
		if err != nil {
			return false, err
		}
		results = append(results, ok)
	}
	if f.Changes != nil {
		results = append(results, ev.policyChangesMatch(f.Changes))
	}
	if f.Kubernetes != "" {
		// No Kubernetes integration is ever active for gantry.
		results = append(results, false)
	}
	for _, r := range results {
		if all && !r {
			return false, nil
		}
		if !all && r {
			return true, nil
		}
	}
	return all, nil
}

func (ev *evaluator) anyVariables(f *pipeline.Filter, s *scope, name string) (bool, error) {
	for _, src := range f.Variables {
		ok, err := expr.Match(src, s.Lookup())
		if err != nil {
			return false, &Error{Pos: f.Pos, Job: name, Msg: fmt.Sprintf("variables expression %q: %v", src, err)}
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}

// refsMatch is GitLab's refs policy: a keyword naming the pipeline's kind
// or source, or a ref name or /regex/ (branch and tag pipelines only),
// optionally restricted to a project with @group/project.
func (ev *evaluator) refsMatch(patterns []string, s *scope) bool {
	for _, p := range patterns {
		pattern, project, scoped := strings.Cut(p, "@")
		if scoped {
			path, _ := s.lookup("CI_PROJECT_PATH")
			if path != project {
				continue
			}
		}
		if ev.refPatternMatches(pattern) {
			return true
		}
	}
	return false
}

func (ev *evaluator) refPatternMatches(pattern string) bool {
	isMR := ev.source == SourceMergeRequest
	isBranch := !ev.t.Tag && !isMR
	switch {
	case pattern == "tags" && ev.t.Tag:
		return true
	case pattern == "branches" && isBranch:
		return true
	}
	src := strings.TrimSuffix(ev.source, "_event")
	if pattern == src || pattern == pluralize(src) {
		return true
	}
	// Names and patterns only match branch and tag pipelines.
	if !isBranch && !ev.t.Tag {
		return false
	}
	if re, ok := rubyRegexp(pattern); ok {
		return re.MatchString(ev.t.Ref)
	}
	return pattern == ev.t.Ref
}

// rubyRegexpRE is GitLab's RubySyntax pattern for /regex/flags.
var rubyRegexpRE = regexp.MustCompile(`^/(.+)/([ismU]*)$`)

// rubyRegexp compiles a /regex/flags pattern with RE2, as GitLab's
// UntrustedRegexp does; ok is false for anything else, or an invalid
// regex, which GitLab then compares as a plain name.
func rubyRegexp(pattern string) (*regexp.Regexp, bool) {
	m := rubyRegexpRE.FindStringSubmatch(pattern)
	if m == nil {
		return nil, false
	}
	src := m[1]
	if m[2] != "" {
		src = "(?" + m[2] + ")" + src
	}
	re, err := regexp.Compile(src)
	if err != nil {
		return nil, false
	}
	return re, true
}

// pluralize is ActiveSupport's for the source names GitLab has
// (push -> pushes, schedule -> schedules, merge_request -> merge_requests).
func pluralize(s string) string {
	for _, suf := range []string{"sh", "ch", "s", "x", "z"} {
		if strings.HasSuffix(s, suf) {
			return s + "es"
		}
	}
	return s + "s"
}
