package gitlabci

import (
	"github.com/gantry-ci/gantry/internal/pipeline"
	"slices"
)

// variables decodes a variables: map. Values are scalars, or maps with
// value: and expand: (plus description: and options: at the top level).
func (d *decoder) variables(v val, global bool) []pipeline.Variable {
	out := []pipeline.Variable{}
	if d.unresolved(v) {
		return out
	}
	if v.n == nil || v.n.Kind != Map {
		d.fail(v, "a map of variable names to values")
		return out
	}
	allowed := []string{"value", "expand"}
	if global {
		allowed = []string{"value", "description", "options", "expand"}
	}
	for _, pr := range v.n.Pairs {
		fv := v.field(pr)
		vr := pipeline.Variable{Name: pr.Key, Expand: true, Pos: pr.KeyPos}
		switch {
		case d.unresolved(fv):
			continue
		case fv.n.Kind == Null:
			// GitLab keeps `VAR:` as an empty value.
		case fv.n.Kind == Scalar:
			vr.Value = fv.n.Value
		case fv.n.Kind == Map:
			if !d.object(fv, allowed) {
				continue
			}
			d.variableMap(fv, &vr)
		default:
			d.fail(fv, "a string, a number, a boolean or a map with value:")
			continue
		}
		out = append(out, vr)
	}
	return out
}

func (d *decoder) variableMap(v val, vr *pipeline.Variable) {
	for _, pr := range v.n.Pairs {
		fv := v.field(pr)
		switch pr.Key {
		case "value":
			if fv.n.IsNull() || fv.n.Kind != Scalar {
				d.fail(fv, "a string")
				continue
			}
			vr.Value = fv.n.Value
		case "description":
			vr.Description, _ = d.str(fv, 0)
		case "expand":
			if b, ok := d.boolean(fv); ok {
				vr.Expand = b
			}
		case "options":
			opts, ok := d.strList(fv, 1)
			if !ok {
				continue
			}
			seen := map[string]bool{}
			for i, o := range opts {
				if seen[o] {
					d.errorf(fv.item(i).pos, "remove the duplicate", "%s: %q is listed twice", fv.path, o)
				}
				seen[o] = true
			}
			vr.Options = opts
		}
	}
	if d.strict && vr.Options != nil && v.n.Lookup("value") != nil && !slices.Contains(vr.Options, vr.Value) {
		d.errorf(v.n.Lookup("value").Value.Pos, "add it to options:", "%s: value %q is not one of the options", v.path, vr.Value)
	}
}

// ruleVariables decodes rules:variables (scalar values only).
func (d *decoder) ruleVariables(v val) []pipeline.Variable {
	out := []pipeline.Variable{}
	if v.n == nil || v.n.Kind != Map {
		d.fail(v, "a map of variable names to values")
		return out
	}
	for _, pr := range v.n.Pairs {
		fv := v.field(pr)
		if fv.n != nil && fv.n.Kind != Scalar && fv.n.Kind != Null {
			d.fail(fv, "a string, a number or a boolean")
			continue
		}
		out = append(out, pipeline.Variable{Name: pr.Key, Value: scalarString(fv.n), Expand: true, Pos: pr.KeyPos})
	}
	return out
}
