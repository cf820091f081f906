package gitlabci

import (
	"regexp"
	"slices"
	"strings"
)

// includeForm is one kind of include entry: the key that names it, the
// keys it allows and the keys it requires.
type includeForm struct {
	name     string
	allowed  []string
	required []string
}

// includeForms are the kinds of a top-level include: entry.
var includeForms = []includeForm{
	{"local", []string{"local", "rules", "inputs"}, []string{"local"}},
	{"project", []string{"project", "ref", "file", "rules", "inputs"}, []string{"project", "file"}},
	{"template", []string{"template", "rules", "inputs"}, []string{"template"}},
	{"component", []string{"component", "rules", "inputs"}, []string{"component"}},
	{"remote", []string{"remote", "integrity", "cache", "rules", "inputs"}, []string{"remote"}},
}

// specIncludeForms are the kinds of a spec:include entry: no templates,
// components or inputs.
var specIncludeForms = []includeForm{
	{"local", []string{"local"}, []string{"local"}},
	{"remote", []string{"remote", "integrity"}, []string{"remote"}},
	{"project", []string{"project", "ref", "file"}, []string{"project", "file"}},
}

var (
	yamlFileRe      = regexp.MustCompile(`\.ya?ml$`)
	includeStringRe = regexp.MustCompile(`\w\.ya?ml$`)
	remoteRe        = regexp.MustCompile(`^https?://.+\.ya?ml$`)
	schemeRe        = regexp.MustCompile(`^\w+://`)
	integrityRe     = regexp.MustCompile(`^sha256-[A-Za-z0-9+/]{43}=$`)
	inputNameRe     = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)
)

// includes checks the shape of include: (already resolved by the time
// Decode runs, so only checked and otherwise ignored).
func (d *decoder) includes(v val) {
	if d.unresolved(v) {
		return
	}
	if v.n != nil && v.n.Kind == Seq {
		for i := range v.n.Items {
			d.includeItem(v.item(i), includeForms, true)
		}
		return
	}
	d.includeItem(v, includeForms, true)
}

// includeItem checks one include entry against forms and returns the file
// it names, for display.
func (d *decoder) includeItem(v val, forms []includeForm, allowString bool) string {
	if d.unresolved(v) {
		return ""
	}
	if isStr(v.n) && allowString {
		s := v.n.Value
		if !includeStringRe.MatchString(s) || schemeRe.MatchString(s) && !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") {
			d.errorf(v.pos, "name a .yml or .yaml file, by path or https:// URL", "%s: %q is not a YAML file to include", v.path, s)
			return ""
		}
		return s
	}
	if v.n == nil || v.n.Kind != Map {
		d.fail(v, "a map naming the file to include")
		return ""
	}
	var form *includeForm
	var names []string
	for i := range forms {
		names = append(names, forms[i].name)
		if v.n.Lookup(forms[i].name) != nil {
			if form != nil {
				d.errorf(v.pos, "split it into two entries", "%s has both %s: and %s:", v.path, form.name, forms[i].name)
				return ""
			}
			form = &forms[i]
		}
	}
	if form == nil {
		if v.n.Lookup("file") != nil && slices.Contains(names, "project") {
			d.errorf(v.pos, "add project: (e.g. my-group/my-project)", "%s: file: needs project:", v.path)
		} else {
			d.errorf(v.pos, "", "%s must have one of %s", v.path, strings.Join(names, ", "))
		}
		return ""
	}
	d.object(v, form.allowed)
	d.require(v, form.required...)
	var file string
	for _, pr := range v.n.Pairs {
		fv := v.field(pr)
		if !slices.Contains(form.allowed, pr.Key) {
			continue
		}
		switch pr.Key {
		case "local", "template", "artifact":
			file = d.yamlPath(fv)
		case "remote":
			if s, ok := d.str(fv, 1); ok {
				if !remoteRe.MatchString(s) {
					d.errorf(fv.pos, "use an http(s):// URL of a .yml file", "%s: %q is not a remote YAML file", fv.path, s)
				}
				file = s
			}
		case "component":
			file, _ = d.str(fv, 1)
		case "project":
			d.projectPath(fv)
		case "file":
			if isStr(fv.n) {
				file = d.yamlPath(fv)
			} else if files, ok := d.strList(fv, 0); ok {
				for i, f := range files {
					if !yamlFileRe.MatchString(f) {
						d.errorf(fv.item(i).pos, "", "%s: %q is not a .yml or .yaml file", fv.path, f)
					}
				}
			}
		case "ref", "job":
			d.str(fv, 1)
		case "integrity":
			if s, ok := d.str(fv, 0); ok && !integrityRe.MatchString(s) {
				d.errorf(fv.pos, "write sha256- then the base64 SHA-256 of the file", "%s: %q is not a sha256 integrity hash", fv.path, s)
			}
		case "cache":
			if fv.n == nil || fv.n.Kind != Scalar || fv.n.Tag != TagBool {
				d.durationStr(fv, 0, false)
			}
		case "rules":
			d.rules(fv, ruleInclude)
		case "inputs":
			d.inputValues(fv)
		}
	}
	return file
}

// yamlPath decodes a path that must end in .yml or .yaml.
func (d *decoder) yamlPath(v val) string {
	s, ok := d.str(v, 1)
	if ok && !yamlFileRe.MatchString(s) {
		d.errorf(v.pos, "", "%s: %q is not a .yml or .yaml file", v.path, s)
		return ""
	}
	return s
}

// inputValues checks inputs: passed to an include or a trigger.
func (d *decoder) inputValues(v val) {
	if v.n == nil || v.n.Kind != Map {
		d.fail(v, "a map of input names to values")
		return
	}
	for _, pr := range v.n.Pairs {
		if !inputNameRe.MatchString(pr.Key) {
			d.errorf(pr.KeyPos, "use letters, digits, - and _", "%s: %q is not a valid input name", v.path, pr.Key)
		}
		fv := v.field(pr)
		if isStr(fv.n) && len(fv.n.Value) > 1024 {
			d.errorf(fv.pos, "", "%s is longer than 1024 characters", fv.path)
		}
	}
}
