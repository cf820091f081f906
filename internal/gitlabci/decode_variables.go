package gitlabci

import (
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/gantry-ci/gantry/internal/pipeline"
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
			rv, ok := d.variableValue(pr.Key, fv)
			if !ok {
				continue
			}
			vr.Value = rv.str
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
	var (
		value   rubyValue
		valueOK bool // value: is there and GitLab can load it
	)
	for _, pr := range v.n.Pairs {
		fv := v.field(pr)
		switch pr.Key {
		case "value":
			switch {
			case fv.n.IsNull():
				// GitLab allows value: null, set as "".
				value = rubyValue{kind: rubyNull}
			case fv.n.Kind == Scalar:
				rv, ok := d.variableValue(vr.Name, fv)
				if !ok {
					continue
				}
				value = rv
			default:
				d.fail(fv, "a string")
				continue
			}
			vr.Value, valueOK = value.str, true
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
	if !d.strict || vr.Options == nil || !valueOK {
		return
	}
	vv := v.field(*v.n.Lookup("value"))
	switch {
	case value.kind == rubyNull:
		d.errorf(vv.pos, "set value: to one of the options", "%s: value is null, which is not one of the options", v.path)
	case value.kind != rubyString:
		// GitLab compares the value as loaded with the strings of
		// options:, so a number or a boolean is never among them.
		hint := "quote the value"
		if vv.n.Plain {
			hint = fmt.Sprintf("quote it: %q", vv.n.Value)
		}
		d.errorf(vv.pos, hint, "%s: value %s is a %s in YAML, and options: lists strings", v.path, vv.n.Value, value.kind)
	case !slices.Contains(vr.Options, vr.Value):
		d.errorf(vv.pos, "add it to options:", "%s: value %q is not one of the options", v.path, vr.Value)
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
		var value string
		if !fv.n.IsNull() {
			rv, ok := d.variableValue(pr.Key, fv)
			if !ok {
				continue
			}
			value = rv.str
		} else if d.strict {
			// GitLab reads a null as a map without value:, which only
			// variables: (not rules:) allows.
			d.failHint(fv, "a string", fmt.Sprintf("write %s: \"\" for an empty value", pr.Key))
			continue
		}
		out = append(out, pipeline.Variable{Name: pr.Key, Value: value, Expand: true, Pos: pr.KeyPos})
	}
	return out
}

// variableValue is the string GitLab sets for the scalar at v, the value
// of variable name. Values GitLab's loader refuses are errors; a plain
// scalar whose string is not the text written is a warning.
func (d *decoder) variableValue(name string, v val) (rubyValue, bool) {
	rv := gitlabValue(v.n)
	if !v.n.Plain {
		return rv, true
	}
	quote := fmt.Sprintf("quote it: %q", v.n.Value)
	switch rv.kind {
	case rubyDate, rubyTime:
		if d.strict {
			class := "Date"
			if rv.kind == rubyTime {
				class = "Time"
			}
			d.errorf(v.pos, quote, "%s: %s is a %s in YAML, which GitLab refuses to load (Tried to load unspecified class: %s)", name, v.n.Value, rv.kind, class)
		}
		return rv, false
	case rubyBad:
		if d.strict {
			d.errorf(v.pos, quote, "%s: %s is a malformed number in YAML, which GitLab refuses to load (Invalid YAML syntax)", name, v.n.Value)
		}
		return rv, false
	case rubyString:
		return rv, true
	}
	if rv.str != v.n.Value {
		d.warnf(v.pos, quote, "%s: %s is a %s in YAML; GitLab sets %q", name, v.n.Value, rv.kind, rv.str)
	}
	return rv, true
}

func (d *decoder) warnf(pos pipeline.Pos, hint, format string, args ...any) {
	d.warns = append(d.warns, errorf(pos, hint, format, args...))
}

// gitlabValue is the class and string GitLab gives the scalar n: Psych's
// reading of a plain scalar, the tag's of any other.
func gitlabValue(n *Node) rubyValue {
	if n.IsNull() {
		return rubyValue{kind: rubyNull}
	}
	if n.Plain {
		return psychScalar(n.Value)
	}
	switch n.Tag {
	case TagBool:
		return rubyValue{kind: rubyBool, str: strconv.FormatBool(strings.EqualFold(n.Value, "true"))}
	case TagInt:
		if rv := psychScalar(n.Value); rv.kind == rubyInt {
			return rv
		}
		if i, ok := new(big.Int).SetString(n.Value, 0); ok {
			return rubyValue{kind: rubyInt, str: i.String()}
		}
	case TagFloat:
		// !!float 1 is the Float 1.0: read the text as a float whatever
		// it looks like.
		if rv := psychScalar(n.Value); rv.kind == rubyFloat {
			return rv
		}
		if f, err := strconv.ParseFloat(deleteSeparators(n.Value), 64); err == nil || isRangeErr(err) {
			return rubyValue{kind: rubyFloat, str: rubyFloatString(f)}
		}
	}
	return rubyValue{kind: rubyString, str: n.Value}
}

// Warnings decodes doc as Decode does and returns what is legal but
// likely unintended: today, variables written as YAML numbers (or
// booleans, or symbols) whose value in GitLab is not the text written,
// such as PYTHON_VERSION: 3.10, which GitLab sets to "3.1". Each is
// reported once, however many jobs share it through extends.
func Warnings(doc *Node) []*Error {
	d := &decoder{strict: true}
	d.document(doc)
	seen := map[string]bool{}
	var out []*Error
	for _, w := range d.warns {
		if k := w.Error(); !seen[k] {
			seen[k] = true
			out = append(out, w)
		}
	}
	sortErrors(out)
	return out
}
