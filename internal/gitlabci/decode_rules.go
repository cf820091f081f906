package gitlabci

import (
	"errors"
	"regexp"
	"slices"
	"strings"

	"github.com/gantry-ci/gantry/internal/expr"
	"github.com/gantry-ci/gantry/internal/pipeline"
)

// ruleKind says where a rules: list is: each place allows other keys.
type ruleKind int

const (
	ruleJob ruleKind = iota
	ruleWorkflow
	ruleInclude
)

var ruleKeys = map[ruleKind][]string{
	ruleJob:      {"if", "changes", "exists", "variables", "when", "start_in", "allow_failure", "needs", "interruptible"},
	ruleWorkflow: {"if", "changes", "exists", "variables", "when", "auto_cancel"},
	ruleInclude:  {"if", "changes", "exists", "when"},
}

// expression reports a rules:if or only:variables expression GitLab would
// refuse to parse, pointing at the offending token. Decode only: the
// schema does not look inside strings.
func (d *decoder) expression(v val, cond string) {
	if !d.strict {
		return
	}
	_, err := expr.Parse(cond)
	var se *expr.SyntaxError
	if !errors.As(err, &se) {
		return
	}
	pos := v.pos
	if !strings.Contains(cond, "\n") {
		// The column inside a one-line scalar; a quoted scalar is one off.
		pos.Col += se.Col - 1
	}
	d.errorf(pos, se.Hint, "%s: invalid expression: %s", v.path, se.Msg)
}

// rules decodes a rules: list. rules: null yields an empty, non-nil list.
func (d *decoder) rules(v val, kind ruleKind) []pipeline.Rule {
	out := []pipeline.Rule{}
	if d.unresolved(v) || v.n.IsNull() {
		return out
	}
	if v.n.Kind != Seq {
		d.fail(v, "a list of rules")
		return out
	}
	for i := range v.n.Items {
		rv := v.item(i)
		if d.unresolved(rv) {
			continue
		}
		if !d.strict && (isStr(rv.n) && rv.n.Value != "" || rv.n.Kind == Seq && len(rv.n.Items) > 0) {
			// GitLab's schema takes these as unresolved !reference values.
			if rv.n.Kind == Seq {
				d.strList(rv, 1)
			}
			continue
		}
		if r, ok := d.rule(rv, kind); ok {
			out = append(out, r)
		}
	}
	return out
}

func (d *decoder) rule(v val, kind ruleKind) (pipeline.Rule, bool) {
	r := pipeline.Rule{Pos: v.pos}
	if !d.object(v, ruleKeys[kind]) {
		return r, false
	}
	for _, pr := range v.n.Pairs {
		fv := v.field(pr)
		if !slices.Contains(ruleKeys[kind], pr.Key) {
			continue
		}
		switch pr.Key {
		case "if":
			r.IfPos = fv.pos
			if cond, ok := d.str(fv, 0); ok {
				r.If = cond
				d.expression(fv, cond)
			}
		case "changes":
			r.Changes = d.changes(fv)
		case "exists":
			r.Exists = d.exists(fv)
		case "variables":
			r.Variables = d.ruleVariables(fv)
		case "when":
			r.When = d.ruleWhen(fv, kind)
		case "start_in":
			r.StartIn, _ = d.durationStr(fv, maxStartIn, false)
		case "allow_failure":
			if fv.n != nil && fv.n.Kind == Map && !d.strict {
				d.allowFailure(fv)
				continue
			}
			if b, ok := d.boolean(fv); ok {
				r.AllowFailure = &b
			}
		case "interruptible":
			if b, ok := d.boolean(fv); ok {
				r.Interruptible = &b
			}
		case "needs":
			r.Needs = d.needs(fv, true)
		case "auto_cancel":
			r.AutoCancel = d.autoCancel(fv)
		}
	}
	if kind == ruleJob && d.strict {
		switch {
		case r.When == pipeline.WhenDelayed && r.StartIn == "" && v.n.Lookup("start_in") == nil:
			d.errorf(v.n.Lookup("when").Value.Pos, "add start_in: to the rule", "%s: when: delayed needs start_in:", v.path)
		case r.When != pipeline.WhenDelayed && v.n.Lookup("start_in") != nil:
			d.errorf(v.n.Lookup("start_in").KeyPos, "add when: delayed to the rule", "%s: start_in: is only for when: delayed", v.path)
		}
	}
	return r, true
}

func (d *decoder) ruleWhen(v val, kind ruleKind) pipeline.When {
	var allowed []string
	switch kind {
	case ruleWorkflow:
		allowed = []string{"always", "never"}
	case ruleInclude:
		if v.n.IsNull() {
			return pipeline.WhenUnset
		}
		allowed = []string{"never", "always"}
	default:
		allowed = jobWhens
	}
	s, _ := d.enum(v, allowed...)
	return pipeline.When(s)
}

// changes decodes rules:changes (a list of paths or {paths, compare_to}).
func (d *decoder) changes(v val) *pipeline.Changes {
	if v.n != nil && v.n.Kind == Map {
		c := &pipeline.Changes{}
		if !d.object(v, []string{"paths", "compare_to"}) || !d.require(v, "paths") {
			return c
		}
		c.Paths, _ = d.strList(v.field(*v.n.Lookup("paths")), 0)
		if p := v.n.Lookup("compare_to"); p != nil {
			c.CompareTo, _ = d.str(v.field(*p), 0)
		}
		return c
	}
	if v.n == nil || v.n.Kind != Seq {
		d.fail(v, "a list of paths or a map with paths:")
		return nil
	}
	paths, _ := d.strList(v, 0)
	return &pipeline.Changes{Paths: nonNilStrings(paths)}
}

// exists decodes rules:exists (a list of paths or {paths, project, ref}).
func (d *decoder) exists(v val) []string {
	if v.n != nil && v.n.Kind == Map {
		if !d.object(v, []string{"paths", "project", "ref"}) || !d.require(v, "paths") {
			return nil
		}
		if p := v.n.Lookup("ref"); p != nil && v.n.Lookup("project") == nil {
			d.errorf(p.KeyPos, "add project:, or remove ref:", "%s: ref: needs project:", v.path)
		}
		for _, k := range []string{"project", "ref"} {
			if p := v.n.Lookup(k); p != nil {
				d.str(v.field(*p), 0)
			}
		}
		paths, _ := d.strList(v.field(*v.n.Lookup("paths")), 0)
		return nonNilStrings(paths)
	}
	if v.n == nil || v.n.Kind != Seq {
		d.fail(v, "a list of paths or a map with paths:")
		return nil
	}
	paths, _ := d.strList(v, 0)
	return nonNilStrings(paths)
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// workflow decodes workflow:.
func (d *decoder) workflow(v val) *pipeline.Workflow {
	w := &pipeline.Workflow{Pos: v.pos}
	if d.unresolved(v) || !d.object(v, []string{"name", "rules", "auto_cancel"}) {
		return w
	}
	for _, pr := range v.n.Pairs {
		fv := v.field(pr)
		switch pr.Key {
		case "name":
			if s, ok := d.str(fv, 1); ok {
				if len(s) > 255 {
					d.errorf(fv.pos, "", "%s is longer than 255 characters", fv.path)
				}
				w.Name = s
			}
		case "rules":
			w.Rules = d.rules(fv, ruleWorkflow)
		case "auto_cancel":
			w.AutoCancel = d.autoCancel(fv)
		}
	}
	return w
}

func (d *decoder) autoCancel(v val) *pipeline.AutoCancel {
	ac := &pipeline.AutoCancel{}
	if !d.object(v, []string{"on_new_commit", "on_job_failure"}) {
		return nil
	}
	for _, pr := range v.n.Pairs {
		fv := v.field(pr)
		switch pr.Key {
		case "on_new_commit":
			ac.OnNewCommit, _ = d.enum(fv, "conservative", "interruptible", "none")
		case "on_job_failure":
			ac.OnJobFailure, _ = d.enum(fv, "none", "all")
		}
	}
	return ac
}

// filter decodes only: or except: (null means absent).
func (d *decoder) filter(v val) *pipeline.Filter {
	if d.unresolved(v) || v.n.IsNull() {
		return nil
	}
	f := &pipeline.Filter{Pos: v.pos}
	if v.n.Kind == Seq {
		f.Refs = d.refs(v)
		return f
	}
	if !d.object(v, []string{"refs", "variables", "changes", "kubernetes"}) {
		return nil
	}
	for _, pr := range v.n.Pairs {
		fv := v.field(pr)
		switch pr.Key {
		case "refs":
			f.Refs = d.refs(fv)
		case "variables":
			f.Variables, _ = d.strList(fv, 0)
			for i, cond := range f.Variables {
				d.expression(fv.item(i), cond)
			}
		case "changes":
			f.Changes, _ = d.strList(fv, 0)
		case "kubernetes":
			f.Kubernetes, _ = d.enum(fv, "active")
		}
	}
	return f
}

// refs decodes only/except refs: names, keywords and /regex/.
func (d *decoder) refs(v val) []string {
	refs, ok := d.strList(v, 0)
	if !ok || !d.strict {
		return refs
	}
	for i, r := range refs {
		if len(r) >= 2 && strings.HasPrefix(r, "/") && strings.LastIndex(r, "/") > 0 {
			end := strings.LastIndex(r, "/")
			if _, err := regexp.Compile(r[1:end]); err != nil {
				d.errorf(v.item(i).pos, "gantry uses RE2 syntax, as GitLab does", "%s: invalid regular expression: %v", v.path, err)
			}
		}
	}
	return refs
}

var needKeys = []string{"job", "artifacts", "optional", "parallel", "pipeline", "project", "ref"}

// needs decodes needs: (rule true: rules:needs, which allows less).
func (d *decoder) needs(v val, rule bool) []pipeline.Need {
	out := []pipeline.Need{}
	if d.unresolved(v) {
		return out
	}
	if v.n == nil || v.n.Kind != Seq {
		d.fail(v, "a list of job names")
		return out
	}
	for i := range v.n.Items {
		iv := v.item(i)
		if d.unresolved(iv) {
			continue
		}
		n := pipeline.Need{Artifacts: true, Pos: iv.pos}
		if iv.n.Kind == Scalar {
			if name, ok := d.str(iv, 1); ok {
				n.Job = name
				out = append(out, n)
			}
			continue
		}
		if iv.n.Kind == Seq && !d.strict {
			d.strList(iv, 0) // an unresolved !reference, as the schema sees it
			continue
		}
		allowed := needKeys
		if rule {
			allowed = needKeys[:3]
		}
		if !d.object(iv, allowed) {
			continue
		}
		switch {
		case iv.n.Lookup("pipeline") != nil:
			d.require(iv, "job")
		case iv.n.Lookup("project") != nil:
			d.require(iv, "job", "ref")
		default:
			d.require(iv, "job")
		}
		for _, pr := range iv.n.Pairs {
			fv := iv.field(pr)
			switch pr.Key {
			case "job":
				n.Job, _ = d.str(fv, 1)
			case "artifacts":
				if b, ok := d.boolean(fv); ok {
					n.Artifacts = b
				}
			case "optional":
				n.Optional, _ = d.boolean(fv)
			case "pipeline":
				n.Pipeline, _ = d.str(fv, 1)
			case "project":
				n.Project, _ = d.str(fv, 1)
			case "ref":
				n.Ref, _ = d.str(fv, 1)
			case "parallel":
				if d.object(fv, []string{"matrix"}) && d.require(fv, "matrix") {
					n.Matrix = d.matrix(fv.field(*fv.n.Lookup("matrix")))
				}
			}
		}
		out = append(out, n)
	}
	return out
}
