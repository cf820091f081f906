package gitlabci

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/gantry-ci/gantry/internal/pipeline"
)

// inputSpec is one input declared in a spec:inputs header.
type inputSpec struct {
	name    string
	typ     string // string, number, boolean, array
	def     *Node  // nil: the input is required
	options []*Node
	regex   *regexp.Regexp
	pos     pipeline.Pos
}

var specInputTypes = []string{"string", "number", "boolean", "array"}

// applySpec splits a file into its optional spec: header and its body,
// checks the given inputs against the header and interpolates them into
// the body. Files without a header take no inputs and are not interpolated,
// as in GitLab. at is where the file was included, for errors.
func applySpec(file string, docs []*Node, given map[string]*Node, at pipeline.Pos, vars func(string) (string, bool)) (*Node, error) {
	switch len(docs) {
	case 0, 1:
		if len(given) > 0 {
			return nil, errorf(at, "declare them in a spec: inputs header followed by ---", "inputs given to %s, which declares none", file)
		}
		if len(docs) == 0 {
			return &Node{Kind: Null, Tag: TagNull, Pos: pipeline.Pos{File: file, Line: 1, Col: 1}}, nil
		}
		return docs[0], nil
	case 2:
	default:
		return nil, errorf(docs[2].Pos, "only a spec: header may precede a --- separator", "file has %d YAML documents", len(docs))
	}
	header := docs[0]
	if header.Kind != Map || header.Get("spec") == nil {
		return nil, errorf(docs[1].Pos, "only a spec: header may precede a --- separator", "file has 2 YAML documents and the first is not a spec: header")
	}
	specs, err := parseSpec(header)
	if err != nil {
		return nil, err
	}
	values, err := bindInputs(file, specs, given, at)
	if err != nil {
		return nil, err
	}
	ip := interpolator{inputs: values, vars: vars, memo: map[*Node]*Node{}}
	return ip.node(docs[1])
}

// parseSpec reads the header's spec: inputs.
func parseSpec(header *Node) ([]inputSpec, error) {
	for _, p := range header.Pairs {
		if p.Key != "spec" {
			return nil, errorf(p.KeyPos, "move it below the --- separator", "unknown key %q in the spec header", p.Key)
		}
	}
	spec := header.Get("spec")
	if spec.IsNull() {
		return nil, nil
	}
	if spec.Kind != Map {
		return nil, errorf(spec.Pos, "", "spec must be a map")
	}
	for _, p := range spec.Pairs {
		switch p.Key {
		case "inputs", "component", "include", "description":
		default:
			return nil, errorf(p.KeyPos, "spec takes inputs", "unknown key %q in spec", p.Key)
		}
	}
	inputs := spec.Get("inputs")
	if inputs.IsNull() {
		return nil, nil
	}
	if inputs.Kind != Map {
		return nil, errorf(inputs.Pos, "", "spec:inputs must be a map of input names")
	}
	out := make([]inputSpec, 0, len(inputs.Pairs))
	for _, p := range inputs.Pairs {
		s, err := parseInputSpec(p)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func parseInputSpec(p Pair) (inputSpec, error) {
	s := inputSpec{name: p.Key, typ: "string", pos: p.KeyPos}
	v := p.Value
	if v.IsNull() {
		return s, nil
	}
	if v.Kind != Map {
		return s, errorf(v.Pos, "write default, type, options, regex or description under it", "spec:inputs:%s must be a map", p.Key)
	}
	for _, q := range v.Pairs {
		switch q.Key {
		case "type":
			if q.Value.Kind != Scalar || !slices.Contains(specInputTypes, q.Value.Value) {
				return s, errorf(q.Value.Pos, "types are "+strings.Join(specInputTypes, ", "), "spec:inputs:%s: unknown input type %q", p.Key, q.Value.Value)
			}
			s.typ = q.Value.Value
		case "default":
			s.def = q.Value
		case "options":
			if q.Value.Kind != Seq {
				return s, errorf(q.Value.Pos, "", "spec:inputs:%s:options must be a list", p.Key)
			}
			s.options = q.Value.Items
		case "regex":
			if q.Value.Kind != Scalar {
				return s, errorf(q.Value.Pos, "", "spec:inputs:%s:regex must be a string", p.Key)
			}
			re, err := regexp.Compile(strings.TrimSuffix(strings.TrimPrefix(q.Value.Value, "/"), "/"))
			if err != nil {
				return s, errorf(q.Value.Pos, "regular expressions use RE2 syntax", "spec:inputs:%s:regex: %v", p.Key, err)
			}
			s.regex = re
		case "description", "rules":
		default:
			return s, errorf(q.KeyPos, "an input takes type, default, options, regex and description", "unknown key %q in spec:inputs:%s", q.Key, p.Key)
		}
	}
	if s.regex != nil && s.typ != "string" {
		return s, errorf(p.KeyPos, "", "spec:inputs:%s: regex only applies to string inputs", p.Key)
	}
	if s.def != nil {
		if err := s.check(s.def, "default"); err != nil {
			return s, errorf(s.def.Pos, "", "`%s` input: %v", s.name, err)
		}
	}
	return s, nil
}

// bindInputs checks the given inputs against the spec and fills in
// defaults; the result maps every declared input to its value.
func bindInputs(file string, specs []inputSpec, given map[string]*Node, at pipeline.Pos) (map[string]*Node, error) {
	declared := make(map[string]bool, len(specs))
	names := make([]string, 0, len(specs))
	for _, s := range specs {
		declared[s.name] = true
		names = append(names, s.name)
	}
	var unknown []string
	for k := range given {
		if !declared[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		hint := file + " declares no inputs"
		if len(names) > 0 {
			hint = file + " declares " + strings.Join(names, ", ")
		}
		return nil, errorf(inputPos(given, unknown[0], at), hint, "unknown input %s", strings.Join(unknown, ", "))
	}
	out := make(map[string]*Node, len(specs))
	for _, s := range specs {
		v := given[s.name]
		if v.IsNull() {
			if s.def == nil {
				return nil, errorf(at, fmt.Sprintf("give it under inputs: (declared at %s)", s.pos), "`%s` input: required value has not been provided", s.name)
			}
			out[s.name] = s.def
			continue
		}
		if err := s.check(v, "provided"); err != nil {
			return nil, errorf(inputPos(given, s.name, at), fmt.Sprintf("declared at %s", s.pos), "`%s` input: %v", s.name, err)
		}
		out[s.name] = v
	}
	return out, nil
}

func inputPos(given map[string]*Node, name string, at pipeline.Pos) pipeline.Pos {
	if v := given[name]; v != nil && v.Pos.Line > 0 {
		return v.Pos
	}
	return at
}

// check validates a value (which: "default" or "provided") against the
// input's type, options and regex.
func (s inputSpec) check(v *Node, which string) error {
	if !hasInputType(v, s.typ) {
		article := "a"
		if s.typ == "array" {
			article = "an"
		}
		return fmt.Errorf("%s value is not %s %s", which, article, s.typ)
	}
	if len(s.options) > 0 {
		vals := []*Node{v}
		if v.Kind == Seq {
			vals = v.Items
		}
		for _, x := range vals {
			if !inOptions(x, s.options) {
				return fmt.Errorf("`%s` cannot be used because it is not in the list of allowed options", scalarText(x))
			}
		}
	}
	if s.regex != nil && !s.regex.MatchString(v.Value) {
		return fmt.Errorf("%s value does not match required RegEx pattern", which)
	}
	return nil
}

func hasInputType(v *Node, typ string) bool {
	switch typ {
	case "array":
		return v.Kind == Seq && v.Tag != TagReference
	case "number":
		return v.Kind == Scalar && (v.Tag == TagInt || v.Tag == TagFloat)
	case "boolean":
		return v.Kind == Scalar && v.Tag == TagBool
	}
	return v.Kind == Scalar && v.Tag == TagStr
}

func inOptions(v *Node, options []*Node) bool {
	for _, o := range options {
		if o.Kind == v.Kind && scalarText(o) == scalarText(v) {
			return true
		}
	}
	return false
}

// goInputs converts Options.Inputs to nodes.
func goInputs(in map[string]any) (map[string]*Node, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make(map[string]*Node, len(in))
	for k, v := range in {
		n, err := goNode(v, 0)
		if err != nil {
			return nil, fmt.Errorf("input %s: %w", k, err)
		}
		out[k] = n
	}
	return out, nil
}

func goNode(v any, depth int) (*Node, error) {
	if depth > MaxDepth {
		return nil, fmt.Errorf("nested too deep")
	}
	pos := pipeline.Pos{File: "(inputs)"}
	switch x := v.(type) {
	case nil:
		return &Node{Kind: Null, Tag: TagNull, Pos: pos}, nil
	case string:
		return &Node{Kind: Scalar, Tag: TagStr, Value: x, Pos: pos}, nil
	case bool:
		return &Node{Kind: Scalar, Tag: TagBool, Value: strconv.FormatBool(x), Pos: pos}, nil
	case int:
		return &Node{Kind: Scalar, Tag: TagInt, Value: strconv.Itoa(x), Pos: pos}, nil
	case int64:
		return &Node{Kind: Scalar, Tag: TagInt, Value: strconv.FormatInt(x, 10), Pos: pos}, nil
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return &Node{Kind: Scalar, Tag: TagInt, Value: strconv.FormatInt(int64(x), 10), Pos: pos}, nil
		}
		return &Node{Kind: Scalar, Tag: TagFloat, Value: strconv.FormatFloat(x, 'g', -1, 64), Pos: pos}, nil
	case []string:
		n := &Node{Kind: Seq, Tag: "!!seq", Pos: pos}
		for _, s := range x {
			n.Items = append(n.Items, &Node{Kind: Scalar, Tag: TagStr, Value: s, Pos: pos})
		}
		return n, nil
	case []any:
		n := &Node{Kind: Seq, Tag: "!!seq", Pos: pos}
		for _, it := range x {
			c, err := goNode(it, depth+1)
			if err != nil {
				return nil, err
			}
			n.Items = append(n.Items, c)
		}
		return n, nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		n := &Node{Kind: Map, Tag: "!!map", Pos: pos}
		for _, k := range keys {
			c, err := goNode(x[k], depth+1)
			if err != nil {
				return nil, err
			}
			n.Pairs = append(n.Pairs, Pair{Key: k, KeyPos: pos, Value: c})
		}
		return n, nil
	}
	return nil, fmt.Errorf("unsupported value of type %T", v)
}
