package gitlabci

import (
	"fmt"
	"regexp"

	"github.com/gantry-ci/gantry/internal/pipeline"
)

// retry decodes retry: (0..2, or a map with max, when, exit_codes).
func (d *decoder) retry(v val) pipeline.Retry {
	var r pipeline.Retry
	if v.n != nil && v.n.Kind == Map {
		d.object(v, []string{"max", "when", "exit_codes"})
		for _, pr := range v.n.Pairs {
			fv := v.field(pr)
			switch pr.Key {
			case "max":
				r.Max = d.retryMax(fv)
			case "when":
				if fv.n != nil && fv.n.Kind == Seq {
					for i := range fv.n.Items {
						if s, ok := d.enum(fv.item(i), retryReasons...); ok {
							r.When = append(r.When, s)
						}
					}
				} else if s, ok := d.enum(fv, retryReasons...); ok {
					r.When = []string{s}
				}
			case "exit_codes":
				r.ExitCodes, _ = d.uniqueInts(fv)
			}
		}
		return r
	}
	r.Max = d.retryMax(v)
	return r
}

func (d *decoder) retryMax(v val) int {
	n, ok := d.integer(v)
	if ok && (n < 0 || n > 2) {
		d.errorf(v.pos, "a job is retried at most 2 times", "%s must be 0, 1 or 2, got %d", v.path, n)
		return 0
	}
	return n
}

// allowFailure decodes allow_failure: (a boolean or exit_codes:).
func (d *decoder) allowFailure(v val) pipeline.AllowFailure {
	if v.n != nil && v.n.Kind == Map {
		af := pipeline.AllowFailure{Set: true}
		if d.object(v, []string{"exit_codes"}) && d.require(v, "exit_codes") {
			af.ExitCodes, _ = d.uniqueInts(v.field(*v.n.Lookup("exit_codes")))
		}
		return af
	}
	b, ok := d.boolean(v)
	return pipeline.AllowFailure{Set: ok, Allowed: b}
}

// parallel decodes parallel: (1..200, or matrix:).
func (d *decoder) parallel(v val) *pipeline.Parallel {
	p := &pipeline.Parallel{Pos: v.pos}
	if v.n != nil && v.n.Kind == Map {
		if !d.object(v, []string{"matrix"}) || !d.require(v, "matrix") {
			return nil
		}
		mv := v.field(*v.n.Lookup("matrix"))
		p.Matrix = d.matrix(mv)
		if p.Matrix == nil {
			return nil
		}
		if d.strict {
			total := 0
			for _, e := range p.Matrix {
				n := 1
				for _, mvar := range e {
					n *= max(1, len(mvar.Values))
					if n > maxParallel {
						break
					}
				}
				total += n
			}
			if total > maxParallel {
				d.errorf(mv.pos, "split the job or drop some values", "%s makes %d jobs; the limit is %d", mv.path, total, maxParallel)
			}
		}
		return p
	}
	if v.n != nil && v.n.Kind == Scalar && v.n.Tag != TagInt {
		d.fail(v, "an integer from 1 to 200 or a map with matrix:")
		return nil
	}
	n, ok := d.integer(v)
	if !ok {
		return nil
	}
	if n < 1 || n > maxParallel {
		d.errorf(v.pos, "", "parallel must be between 1 and %d, got %d", maxParallel, n)
		return nil
	}
	p.Count = n
	return p
}

// matrix decodes a list of maps of variable -> value or list of values.
func (d *decoder) matrix(v val) []pipeline.MatrixEntry {
	if d.unresolved(v) {
		return nil
	}
	if v.n == nil || v.n.Kind != Seq {
		d.fail(v, "a list of maps of variables")
		return nil
	}
	if len(v.n.Items) > maxParallel {
		d.errorf(v.pos, "", "%s: at most %d entries", v.path, maxParallel)
	}
	out := []pipeline.MatrixEntry{}
	for i := range v.n.Items {
		iv := v.item(i)
		if iv.n.Kind != Map {
			d.fail(iv, "a map of variables to values")
			continue
		}
		var e pipeline.MatrixEntry
		for _, pr := range iv.n.Pairs {
			fv := iv.field(pr)
			mv := pipeline.MatrixVar{Name: pr.Key}
			switch {
			case fv.n != nil && fv.n.Kind == Scalar:
				mv.Values = []string{d.matrixValue(fv)}
			case fv.n != nil && fv.n.Kind == Seq:
				mv.Values = []string{}
				for j := range fv.n.Items {
					jv := fv.item(j)
					if jv.n.Kind != Scalar {
						if d.strict {
							d.fail(jv, "a string or a number")
						}
						continue
					}
					mv.Values = append(mv.Values, d.matrixValue(jv))
				}
			default:
				d.fail(fv, "a value or a list of values")
				continue
			}
			e = append(e, mv)
		}
		out = append(out, e)
	}
	return out
}

// matrixValue is the string GitLab gives a parallel:matrix value: it
// takes strings, symbols and integers (010 is 8), and refuses the floats
// and booleans its variables validator does not call alphanumeric.
func (d *decoder) matrixValue(v val) string {
	rv := gitlabValue(v.n)
	switch rv.kind {
	case rubyString, rubySymbol, rubyInt:
		return rv.str
	case rubyFloat, rubyBool:
		kind := rv.kind.String()
		if rv.kind == rubyFloat {
			kind = "float"
		}
		if d.strict {
			d.errorf(v.pos, fmt.Sprintf("quote it: %q", v.n.Value), "%s: %s is a %s in YAML; parallel:matrix values must be strings or integers", v.path, v.n.Value, kind)
		}
	default:
		if d.strict {
			d.errorf(v.pos, fmt.Sprintf("quote it: %q", v.n.Value), "%s: %s is a %s in YAML, which GitLab refuses to load", v.path, v.n.Value, rv.kind)
		}
	}
	return v.n.Value
}

var environmentKeys = []string{"name", "url", "on_stop", "action", "auto_stop_in", "kubernetes", "deployment_tier"}

var envURLRe = regexp.MustCompile(`^(https?://.+|\$[A-Za-z]+)`)

// environment decodes environment: (a name or a map).
func (d *decoder) environment(v val) *pipeline.Environment {
	e := &pipeline.Environment{Pos: v.pos}
	if isStr(v.n) {
		e.Name = v.n.Value
		return e
	}
	if !d.object(v, environmentKeys) {
		return nil
	}
	d.require(v, "name")
	for _, pr := range v.n.Pairs {
		fv := v.field(pr)
		switch pr.Key {
		case "name":
			e.Name, _ = d.str(fv, 1)
		case "url":
			if s, ok := d.str(fv, 0); ok {
				if !envURLRe.MatchString(s) {
					d.errorf(fv.pos, "start it with http:// or https://, or use a $VARIABLE", "%s: %q is not a URL", fv.path, s)
				}
				e.URL = s
			}
		case "on_stop":
			e.OnStop, _ = d.str(fv, 0)
		case "action":
			e.Action, _ = d.enum(fv, "start", "prepare", "stop", "verify", "access")
		case "auto_stop_in":
			e.AutoStopIn, _ = d.durationStr(fv, 0, true)
		case "kubernetes":
			d.object(fv, []string{"agent", "namespace", "flux_resource_path", "managed_resources", "dashboard"})
		case "deployment_tier":
			if d.strict {
				e.DeploymentTier, _ = d.enum(fv, "production", "staging", "testing", "development", "other")
			} else {
				e.DeploymentTier, _ = d.str(fv, 0)
			}
		}
	}
	return e
}

// projectPathRe is GitLab's (unanchored) project path pattern:
// group/project, or a variable.
var projectPathRe = regexp.MustCompile(`\S/\S|\$\S+`)

func (d *decoder) projectPath(v val) string {
	s, ok := d.str(v, 0)
	if ok && !projectPathRe.MatchString(s) {
		d.errorf(v.pos, "write the full path, e.g. my-group/my-project", "%s: %q is not a project path", v.path, s)
		return ""
	}
	return s
}

// trigger decodes trigger: (a project path, or a map for a multi-project
// or a child pipeline).
func (d *decoder) trigger(v val) *pipeline.Trigger {
	t := &pipeline.Trigger{Pos: v.pos}
	if isStr(v.n) {
		t.Project = d.projectPath(v)
		return t
	}
	if v.n == nil || v.n.Kind != Map {
		d.fail(v, "a project path or a map")
		return nil
	}
	if v.n.Lookup("project") != nil {
		d.object(v, []string{"project", "branch", "strategy", "inputs", "forward"})
	} else {
		d.object(v, []string{"include", "strategy", "forward"})
	}
	for _, pr := range v.n.Pairs {
		fv := v.field(pr)
		switch pr.Key {
		case "project":
			t.Project = d.projectPath(fv)
		case "branch":
			t.Branch, _ = d.str(fv, 0)
		case "strategy":
			t.Strategy, _ = d.enum(fv, "depend", "mirror")
		case "inputs":
			d.inputValues(fv)
		case "forward":
			if d.object(fv, []string{"yaml_variables", "pipeline_variables"}) {
				for _, p := range fv.n.Pairs {
					b, ok := d.boolean(fv.field(p))
					if ok && !b && p.Key == "yaml_variables" {
						t.NoYAMLVariables = true
					}
				}
			}
		case "include":
			t.Includes = d.triggerInclude(fv)
		}
	}
	return t
}

// triggerIncludeForms are the keys that name the kind of a trigger:include
// entry, with the keys each kind allows and requires.
var triggerIncludeForms = []includeForm{
	{"local", []string{"local", "inputs"}, []string{"local"}},
	{"template", []string{"template", "inputs"}, []string{"template"}},
	{"artifact", []string{"artifact", "job", "inputs"}, []string{"artifact", "job"}},
	{"project", []string{"project", "ref", "file", "inputs"}, []string{"project", "file"}},
	{"component", []string{"component", "inputs"}, []string{"component"}},
	{"remote", []string{"remote", "inputs"}, []string{"remote"}},
}

func (d *decoder) triggerInclude(v val) []pipeline.TriggerInclude {
	if isStr(v.n) {
		if s := d.yamlPath(v); s != "" {
			return []pipeline.TriggerInclude{{Kind: "local", File: s, Pos: v.pos}}
		}
		return nil
	}
	if v.n == nil || v.n.Kind != Seq {
		d.fail(v, "a file path or a list of includes")
		return nil
	}
	if len(v.n.Items) > 3 {
		d.errorf(v.pos, "", "%s: at most 3 files", v.path)
	}
	var incs []pipeline.TriggerInclude
	for i := range v.n.Items {
		iv := v.item(i)
		s := d.includeItem(iv, triggerIncludeForms, false)
		if s == "" {
			continue
		}
		inc := pipeline.TriggerInclude{File: s, Pos: iv.pos}
		for _, f := range triggerIncludeForms {
			if iv.n.Lookup(f.name) != nil {
				inc.Kind = f.name
				break
			}
		}
		if job := iv.n.Lookup("job"); job != nil && isStr(job.Value) {
			inc.Job = job.Value.Value
		}
		incs = append(incs, inc)
	}
	return incs
}
