package gitlabci

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gantry-ci/gantry/internal/expr"
)

// Limits of interpolation blocks, GitLab's.
const (
	maxBlockFunctions = 3
	maxAccessParts    = 5
	maxAccessBytes    = 1024
)

// blockRe is GitLab's interpolation block: $[[ access | fn | fn ]].
var blockRe = regexp.MustCompile(`\$\[\[\s*(\S.*?\S)\s*\]\]`)

// interpolator replaces $[[ inputs.x ]] blocks in the scalars and keys of
// a parsed document. It works on nodes, never on the source text, so an
// input value cannot change the structure of the document: a whole-scalar
// block takes the input's own value and type, a block inside a longer
// string is replaced by the value's text.
type interpolator struct {
	inputs map[string]*Node
	vars   func(string) (string, bool)
	// memo maps shared (aliased) subtrees to their result, so that they
	// are walked once.
	memo map[*Node]*Node
}

func (ip *interpolator) node(n *Node) (*Node, error) {
	if n == nil {
		return nil, nil
	}
	if r, ok := ip.memo[n]; ok {
		return r, nil
	}
	var out *Node
	var err error
	switch n.Kind {
	case Scalar:
		out, err = ip.scalar(n)
	case Seq:
		out, err = ip.seq(n)
	case Map:
		out, err = ip.mapping(n)
	default:
		out = n
	}
	if err != nil {
		return nil, err
	}
	if n.Kind != Scalar {
		ip.memo[n] = out
	}
	return out, nil
}

func (ip *interpolator) seq(n *Node) (*Node, error) {
	var items []*Node
	for i, it := range n.Items {
		r, err := ip.node(it)
		if err != nil {
			return nil, err
		}
		if r != it && items == nil {
			items = make([]*Node, i, len(n.Items))
			copy(items, n.Items)
		}
		if items != nil {
			items = append(items, r)
		}
	}
	if items == nil {
		return n, nil
	}
	c := *n
	c.Items = items
	return &c, nil
}

func (ip *interpolator) mapping(n *Node) (*Node, error) {
	var pairs []Pair
	keysChanged := false
	for i, p := range n.Pairs {
		key := p.Key
		if strings.Contains(key, "$[[") {
			kn, err := ip.scalar(&Node{Kind: Scalar, Tag: TagStr, Value: key, Pos: p.KeyPos})
			if err != nil {
				return nil, err
			}
			key = scalarText(kn)
		}
		v, err := ip.node(p.Value)
		if err != nil {
			return nil, err
		}
		if (key != p.Key || v != p.Value) && pairs == nil {
			pairs = make([]Pair, i, len(n.Pairs))
			copy(pairs, n.Pairs)
		}
		if pairs != nil {
			pairs = append(pairs, Pair{Key: key, KeyPos: p.KeyPos, Value: v})
		}
		keysChanged = keysChanged || key != p.Key
	}
	if pairs == nil {
		return n, nil
	}
	if keysChanged {
		seen := make(map[string]bool, len(pairs))
		for _, p := range pairs {
			if seen[p.Key] {
				return nil, errorf(p.KeyPos, "give the inputs different values", "key %q is defined twice in this map after interpolation", p.Key)
			}
			seen[p.Key] = true
		}
	}
	c := *n
	c.Pairs = pairs
	return &c, nil
}

func (ip *interpolator) scalar(n *Node) (*Node, error) {
	if n.Tag != TagStr || !strings.Contains(n.Value, "$[[") {
		return n, nil
	}
	locs := blockRe.FindAllStringSubmatchIndex(n.Value, -1)
	if len(locs) == 0 {
		return n, nil
	}
	// A block that is the whole scalar keeps the value's type: an array
	// input stays an array, a boolean stays a boolean.
	if len(locs) == 1 && locs[0][0] == 0 && locs[0][1] == len(n.Value) {
		v, skip, err := ip.block(n.Value[locs[0][2]:locs[0][3]])
		if err != nil {
			return nil, errorf(n.Pos, "", "%s: %v", n.Value, err)
		}
		if skip {
			return n, nil
		}
		c := *v
		c.Pos = n.Pos
		return &c, nil
	}
	var b strings.Builder
	last := 0
	for _, l := range locs {
		b.WriteString(n.Value[last:l[0]])
		v, skip, err := ip.block(n.Value[l[2]:l[3]])
		if err != nil {
			return nil, errorf(n.Pos, "", "%s: %v", n.Value[l[0]:l[1]], err)
		}
		if skip {
			b.WriteString(n.Value[l[0]:l[1]])
		} else {
			b.WriteString(scalarText(v))
		}
		last = l[1]
	}
	b.WriteString(n.Value[last:])
	return &Node{Kind: Scalar, Tag: TagStr, Value: b.String(), Pos: n.Pos}, nil
}

// block evaluates the inside of one $[[ ]] block. skip is true for
// contexts GitLab leaves for later (matrix).
func (ip *interpolator) block(data string) (v *Node, skip bool, err error) {
	parts := strings.Split(data, "|")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	access, funcs := parts[0], parts[1:]
	if strings.SplitN(access, ".", 2)[0] == "matrix" {
		return nil, true, nil
	}
	v, err = ip.access(access)
	if err != nil {
		return nil, false, err
	}
	if len(funcs) > maxBlockFunctions {
		return nil, false, fmt.Errorf("too many functions in interpolation block (at most %d)", maxBlockFunctions)
	}
	for _, f := range funcs {
		if v, err = ip.apply(f, v); err != nil {
			return nil, false, err
		}
	}
	return v, false, nil
}

// access reads inputs.name, with .key and [i] steps into structured values.
func (ip *interpolator) access(access string) (*Node, error) {
	if len(access) > maxAccessBytes {
		return nil, fmt.Errorf("maximum interpolation expression size exceeded")
	}
	parts := strings.SplitN(access, ".", maxAccessParts)
	if len(parts) < 2 {
		return nil, fmt.Errorf("invalid interpolation pattern; write $[[ inputs.name ]]")
	}
	if parts[0] != "inputs" {
		return nil, fmt.Errorf("unknown interpolation context %q; only inputs is available", parts[0])
	}
	var cur *Node
	for i, seg := range parts[1:] {
		name, idx, err := splitIndex(seg)
		if err != nil {
			return nil, fmt.Errorf("%v in `%s`", err, access)
		}
		if i == 0 {
			cur = ip.inputs[name]
			if cur == nil {
				return nil, fmt.Errorf("unknown interpolation key: `%s`", name)
			}
		} else {
			next := cur.Get(name)
			if next == nil {
				return nil, fmt.Errorf("unknown interpolation provided: `%s` in `%s`", name, access)
			}
			cur = next
		}
		for _, k := range idx {
			if cur.Kind != Seq {
				return nil, fmt.Errorf("cannot index into non-array value at [%d] in `%s`", k, access)
			}
			if k >= len(cur.Items) {
				return nil, fmt.Errorf("array index %d out of bounds (size: %d) in `%s`", k, len(cur.Items), access)
			}
			cur = cur.Items[k]
		}
	}
	return cur, nil
}

// splitIndex splits "name[1][2]" into its name and indices.
func splitIndex(seg string) (string, []int, error) {
	i := strings.IndexByte(seg, '[')
	if i < 0 {
		return seg, nil, nil
	}
	name, rest := seg[:i], seg[i:]
	if name == "" {
		return "", nil, fmt.Errorf("invalid indexed access without a key")
	}
	var idx []int
	for rest != "" {
		end := strings.IndexByte(rest, ']')
		if rest[0] != '[' || end < 0 {
			return "", nil, fmt.Errorf("invalid array index syntax")
		}
		k, err := strconv.Atoi(rest[1:end])
		if err != nil || k < 0 {
			return "", nil, fmt.Errorf("`%s` is not a valid index", rest[1:end])
		}
		idx = append(idx, k)
		rest = rest[end+1:]
	}
	if len(idx) > 5 {
		return "", nil, fmt.Errorf("too many array indices (maximum depth: 5)")
	}
	return name, idx, nil
}

var truncateRe = regexp.MustCompile(`^truncate\(\s*(\d+)\s*,\s*(\d+)\s*\)$`)

// apply runs one interpolation function (expand_vars, truncate(o,l),
// posix_escape); they all take and return strings.
func (ip *interpolator) apply(fn string, v *Node) (*Node, error) {
	name := fn
	if i := strings.IndexByte(fn, '('); i >= 0 {
		name = fn[:i]
	}
	if name != "expand_vars" && name != "truncate" && name != "posix_escape" {
		return nil, fmt.Errorf("no function matching `%s`", fn)
	}
	if v.Kind != Scalar || v.Tag != TagStr {
		return nil, fmt.Errorf("invalid input type: %s can only be used with string inputs", name)
	}
	s := v.Value
	switch {
	case fn == "expand_vars":
		s = expr.ExpandGitLabExisting(s, ip.vars)
	case fn == "posix_escape":
		s = posixEscape(s)
	default:
		m := truncateRe.FindStringSubmatch(fn)
		if m == nil {
			return nil, fmt.Errorf("no function matching `%s`", fn)
		}
		off, err1 := strconv.Atoi(m[1])
		n, err2 := strconv.Atoi(m[2])
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("truncate arguments are too large")
		}
		s = truncateRunes(s, off, n)
	}
	return &Node{Kind: Scalar, Tag: TagStr, Value: s, Pos: v.Pos}, nil
}

// truncateRunes is Ruby's str[offset, length] on characters.
func truncateRunes(s string, off, n int) string {
	if off >= utf8.RuneCountInString(s) {
		return ""
	}
	r := []rune(s)[off:]
	if n < len(r) {
		r = r[:n]
	}
	return string(r)
}

// posixEscape is Ruby's Shellwords.shellescape: a backslash before every
// character outside [A-Za-z0-9_\-.,:+/@\n], newlines quoted, ” for empty.
func posixEscape(s string) string {
	if s == "" {
		return "''"
	}
	var b strings.Builder
	for _, c := range s {
		switch {
		case c == '\n':
			b.WriteString("'\n'")
			continue
		case c < utf8.RuneSelf && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_-.,:+/@", c)):
		default:
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// scalarText is the text of a value spliced into a string: a scalar's own
// text (a plain number's as Ruby prints what Psych loaded: 3.10 is 3.1),
// JSON for lists and maps.
func scalarText(n *Node) string {
	switch n.Kind {
	case Scalar:
		if n.Plain {
			if rv := psychScalar(n.Value); rv.kind == rubyInt || rv.kind == rubyFloat {
				return rv.str
			}
		}
		return n.Value
	case Null:
		return ""
	}
	data, err := json.Marshal(toGo(n))
	if err != nil {
		return "" // toGo only builds JSON-encodable values
	}
	return string(data)
}

// toGo converts a node to plain Go values (for JSON).
func toGo(n *Node) any {
	switch n.Kind {
	case Scalar:
		switch n.Tag {
		case TagInt:
			if i, err := strconv.ParseInt(n.Value, 0, 64); err == nil {
				return i
			}
		case TagFloat:
			if f, err := strconv.ParseFloat(n.Value, 64); err == nil {
				return f
			}
		case TagBool:
			return n.Value == "true"
		}
		return n.Value
	case Seq:
		out := make([]any, len(n.Items))
		for i, it := range n.Items {
			out[i] = toGo(it)
		}
		return out
	case Map:
		out := make(map[string]any, len(n.Pairs))
		for _, p := range n.Pairs {
			out[p.Key] = toGo(p.Value)
		}
		return out
	}
	return nil
}
