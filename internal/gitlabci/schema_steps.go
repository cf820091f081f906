package gitlabci

import (
	"regexp"
	"strings"
)

// CI steps (run:) are a GitLab Runner feature gantry does not execute;
// their shape is checked so that files using them lint as in GitLab.

var stepNameRe = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// stepForms: the key that names a step's kind, what it allows, what it needs.
var stepForms = []includeForm{
	{"step", []string{"name", "env", "inputs", "step"}, []string{"name", "step"}},
	{"run", []string{"env", "run", "outputs", "delegate"}, []string{"run"}},
	{"action", []string{"name", "env", "inputs", "action"}, []string{"name", "action"}},
	{"script", []string{"name", "env", "script"}, []string{"name", "script"}},
	{"exec", []string{"env", "exec"}, []string{"exec"}},
}

func (d *decoder) steps(v val) {
	if v.n == nil || v.n.Kind != Seq {
		d.fail(v, "a list of steps")
		return
	}
	for i := range v.n.Items {
		d.step(v.item(i))
	}
}

func (d *decoder) step(v val) {
	if v.n == nil || v.n.Kind != Map {
		d.fail(v, "a map")
		return
	}
	var form *includeForm
	var names []string
	for i := range stepForms {
		names = append(names, stepForms[i].name)
		if v.n.Lookup(stepForms[i].name) != nil {
			if form != nil {
				d.errorf(v.pos, "split it into two steps", "%s has both %s: and %s:", v.path, form.name, stepForms[i].name)
				return
			}
			form = &stepForms[i]
		}
	}
	if form == nil {
		d.errorf(v.pos, "", "%s must have one of %s", v.path, strings.Join(names, ", "))
		return
	}
	d.object(v, form.allowed)
	d.require(v, form.required...)
	for _, pr := range v.n.Pairs {
		fv := v.field(pr)
		switch pr.Key {
		case "name":
			if s, ok := d.str(fv, 1); ok && !stepNameRe.MatchString(s) {
				d.errorf(fv.pos, "use letters, digits and _", "%s: %q is not a valid step name", fv.path, s)
			}
		case "env":
			d.namedValues(fv, true)
		case "inputs", "outputs":
			d.namedValues(fv, false)
		case "script", "action", "delegate":
			d.str(fv, 1)
		case "run":
			d.steps(fv)
		case "step":
			d.stepRef(fv)
		case "exec":
			if d.object(fv, []string{"command", "work_dir"}) && d.require(fv, "command") {
				d.strList(fv.field(*fv.n.Lookup("command")), 1)
				if p := fv.n.Lookup("work_dir"); p != nil {
					d.str(fv.field(*p), 0)
				}
			}
		}
	}
}

func (d *decoder) namedValues(v val, stringsOnly bool) {
	if v.n == nil || v.n.Kind != Map {
		d.fail(v, "a map of names to values")
		return
	}
	for _, pr := range v.n.Pairs {
		if !stepNameRe.MatchString(pr.Key) {
			d.errorf(pr.KeyPos, "use letters, digits and _", "%s: %q is not a valid name", v.path, pr.Key)
		}
		if stringsOnly {
			d.str(v.field(pr), 0)
		}
	}
}

func (d *decoder) stepRef(v val) {
	if isStr(v.n) {
		return
	}
	if v.n == nil || v.n.Kind != Map {
		d.fail(v, "a step reference")
		return
	}
	switch {
	case v.n.Lookup("git") != nil:
		if d.object(v, []string{"git"}) {
			gv := v.field(*v.n.Lookup("git"))
			if d.object(gv, []string{"url", "dir", "rev", "file"}) {
				d.require(gv, "url", "rev")
				d.strFields(gv)
			}
		}
	case v.n.Lookup("oci") != nil:
		if d.object(v, []string{"oci"}) {
			ov := v.field(*v.n.Lookup("oci"))
			if d.object(ov, []string{"registry", "repository", "tag", "dir", "file"}) {
				d.require(ov, "registry", "repository", "tag")
				d.strFields(ov)
			}
		}
	default:
		d.errorf(v.pos, "", "%s must be a string or have git: or oci:", v.path)
	}
}
