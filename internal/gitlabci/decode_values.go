package gitlabci

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gantry-ci/gantry/internal/pipeline"
)

// decoder walks a document, filling the model and collecting every
// problem instead of stopping at the first.
type decoder struct {
	// strict adds the checks GitLab's schema does not make (durations,
	// script required, cross-job references): Decode sets it, CheckSchema
	// does not.
	strict bool
	errs   []*Error
	// warns are problems GitLab does not refuse but the user likely did
	// not mean (a variable written 3.10 that GitLab sets to "3.1").
	warns []*Error
}

// val is a value being decoded: its path for messages ("build:cache:key")
// and where an error about it points.
type val struct {
	path string
	n    *Node
	pos  pipeline.Pos
}

// field is the value of key p in the map at v. An empty value points at
// its key, where the user has something to look at.
func (v val) field(p Pair) val {
	pos := p.KeyPos
	if p.Value != nil && p.Value.Kind != Null && p.Value.Pos.Line != 0 {
		pos = p.Value.Pos
	}
	path := p.Key
	switch {
	case strings.HasSuffix(v.path, `"`): // a job: `job "build": script`
		path = v.path + ": " + p.Key
	case v.path != "":
		path = v.path + ":" + p.Key
	}
	return val{path: path, n: p.Value, pos: pos}
}

// item is the i-th element of the list at v.
func (v val) item(i int) val {
	n := v.n.Items[i]
	pos := n.Pos
	if pos.Line == 0 {
		pos = v.pos
	}
	return val{path: fmt.Sprintf("%s[%d]", v.path, i), n: n, pos: pos}
}

// maxErrors caps the problems reported for one file: past a few hundred
// (a bad anchor repeated everywhere) more add nothing for the reader.
const maxErrors = 500

func (d *decoder) errorf(pos pipeline.Pos, hint, format string, args ...any) {
	switch {
	case len(d.errs) < maxErrors:
		d.errs = append(d.errs, errorf(pos, hint, format, args...))
	case len(d.errs) == maxErrors:
		d.errs = append(d.errs, errorf(pos, "fix the errors above first", "too many errors; stopped reporting"))
	}
}

// fail reports that v is not of the expected shape.
func (d *decoder) fail(v val, want string) {
	d.errorf(v.pos, "", "%s must be %s, got %s", v.path, want, describe(v.n))
}

// failHint is fail with a hint.
func (d *decoder) failHint(v val, want, hint string) {
	d.errorf(v.pos, hint, "%s must be %s, got %s", v.path, want, describe(v.n))
}

// describe names a value for messages: `a list`, `the integer 5`.
func describe(n *Node) string {
	if n == nil || n.Kind == Null {
		return "nothing"
	}
	switch n.Kind {
	case Seq:
		return "a list"
	case Map:
		return "a map"
	}
	kind := "the string"
	switch n.Tag {
	case TagInt:
		kind = "the integer"
	case TagFloat:
		kind = "the number"
	case TagBool:
		kind = "the boolean"
	}
	s := n.Value
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return fmt.Sprintf("%s %q", kind, s)
}

// unresolved handles a !reference left in the tree. CheckSchema cannot
// resolve it and takes it on trust; Decode expects resolved input.
func (d *decoder) unresolved(v val) bool {
	if v.n == nil || v.n.Tag != TagReference {
		return false
	}
	if d.strict {
		d.errorf(v.pos, "resolve the document (includes, extends, !reference) before decoding it", "%s: unresolved !reference", v.path)
	}
	return true
}

func isStr(n *Node) bool { return n != nil && n.Kind == Scalar && n.Tag == TagStr }

// str decodes a string value; minLen 1 rejects "".
func (d *decoder) str(v val, minLen int) (string, bool) {
	if !isStr(v.n) {
		d.fail(v, "a string")
		return "", false
	}
	if len(v.n.Value) < minLen {
		d.errorf(v.pos, "", "%s must not be empty", v.path)
		return "", false
	}
	return v.n.Value, true
}

func (d *decoder) boolean(v val) (bool, bool) {
	if v.n == nil || v.n.Kind != Scalar || v.n.Tag != TagBool {
		d.fail(v, "true or false")
		return false, false
	}
	b, err := strconv.ParseBool(strings.ToLower(v.n.Value))
	if err != nil {
		d.fail(v, "true or false")
		return false, false
	}
	return b, true
}

func (d *decoder) integer(v val) (int, bool) {
	if v.n == nil || v.n.Kind != Scalar || v.n.Tag != TagInt {
		d.fail(v, "an integer")
		return 0, false
	}
	i, err := strconv.ParseInt(v.n.Value, 0, 32)
	if err != nil {
		d.errorf(v.pos, "", "%s: %q is out of range", v.path, v.n.Value)
		return 0, false
	}
	return int(i), true
}

// enum decodes a string that must be one of allowed.
func (d *decoder) enum(v val, allowed ...string) (string, bool) {
	if !isStr(v.n) {
		d.fail(v, "one of "+strings.Join(allowed, ", "))
		return "", false
	}
	if !slices.Contains(allowed, v.n.Value) {
		d.errorf(v.pos, didYouMean(v.n.Value, allowed, "use one of "+strings.Join(allowed, ", ")), "%s: unknown value %q", v.path, v.n.Value)
		return "", false
	}
	return v.n.Value, true
}

// strList decodes a list of strings with at least minItems items.
func (d *decoder) strList(v val, minItems int) ([]string, bool) {
	if v.n == nil || v.n.Kind != Seq {
		d.fail(v, "a list of strings")
		return nil, false
	}
	if d.unresolved(v) {
		return nil, !d.strict
	}
	if len(v.n.Items) < minItems {
		d.errorf(v.pos, "", "%s must not be empty", v.path)
		return nil, false
	}
	out := make([]string, 0, len(v.n.Items))
	ok := true
	for i := range v.n.Items {
		iv := v.item(i)
		if d.unresolved(iv) {
			continue
		}
		s, good := d.str(iv, 0)
		ok = ok && good
		out = append(out, s)
	}
	return out, ok
}

// strOrList decodes a string or a list of strings.
func (d *decoder) strOrList(v val, minItems int) ([]string, bool) {
	if isStr(v.n) {
		return []string{v.n.Value}, true
	}
	if v.n != nil && v.n.Kind == Seq {
		return d.strList(v, minItems)
	}
	d.fail(v, "a string or a list of strings")
	return nil, false
}

// uniqueInts decodes an integer or a non-empty list of distinct integers.
func (d *decoder) uniqueInts(v val) ([]int, bool) {
	if v.n != nil && v.n.Kind == Scalar {
		i, ok := d.integer(v)
		return []int{i}, ok
	}
	if v.n == nil || v.n.Kind != Seq || len(v.n.Items) == 0 {
		d.fail(v, "an integer or a non-empty list of integers")
		return nil, false
	}
	var out []int
	seen := map[int]bool{}
	ok := true
	for i := range v.n.Items {
		iv := v.item(i)
		n, good := d.integer(iv)
		if !good {
			ok = false
			continue
		}
		if seen[n] {
			d.errorf(iv.pos, "remove the duplicate", "%s: %d is listed twice", v.path, n)
			ok = false
		}
		seen[n] = true
		out = append(out, n)
	}
	return out, ok
}

// script decodes script-like values: a string or a list whose items are
// strings or lists of strings (nested lists flatten, as in GitLab).
// required rejects "" and [] (script:), optional scripts allow them.
func (d *decoder) script(v val, required bool) ([]string, bool) {
	if d.unresolved(v) {
		return nil, !d.strict
	}
	switch {
	case isStr(v.n):
		if required && v.n.Value == "" {
			d.errorf(v.pos, "write the commands to run", "%s must not be empty", v.path)
			return nil, false
		}
		if v.n.Value == "" {
			return []string{}, true
		}
		return []string{v.n.Value}, true
	case v.n != nil && v.n.Kind == Seq:
		if required && len(v.n.Items) == 0 {
			d.errorf(v.pos, "write the commands to run", "%s must not be empty", v.path)
			return nil, false
		}
		out := []string{}
		ok := d.flatten(v, 1, &out)
		return out, ok
	}
	d.fail(v, "a string or a list of strings")
	return nil, false
}

// maxScriptNesting is GitLab's limit on nested script lists: the
// script list itself counts as the first level.
const maxScriptNesting = 10

func (d *decoder) flatten(v val, depth int, out *[]string) bool {
	ok := true
	for i := range v.n.Items {
		iv := v.item(i)
		switch {
		case d.unresolved(iv):
		case isStr(iv.n):
			*out = append(*out, iv.n.Value)
		case iv.n.Kind == Seq && depth < maxScriptNesting:
			ok = d.flatten(iv, depth+1, out) && ok
		default:
			d.failHint(iv, "a string", "quote it if it looks like a number or a boolean")
			ok = false
		}
	}
	return ok
}

// object checks that v is a map whose keys are all in allowed, reporting
// each unknown key with a suggestion. It returns false if v is not a map.
func (d *decoder) object(v val, allowed []string) bool {
	if v.n == nil || v.n.Kind != Map {
		d.fail(v, "a map")
		return false
	}
	for _, p := range v.n.Pairs {
		if !slices.Contains(allowed, p.Key) {
			d.errorf(p.KeyPos, keywordHint(p.Key, allowed), "%s: unknown keyword %q", v.path, p.Key)
		}
	}
	return true
}

// require reports the keys of names missing from the map at v.
func (d *decoder) require(v val, names ...string) bool {
	ok := true
	for _, k := range names {
		if v.n.Lookup(k) == nil {
			d.errorf(v.pos, "add "+k+":", "%s: %s is required", v.path, k)
			ok = false
		}
	}
	return ok
}
