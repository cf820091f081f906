package gantryfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/gantry-ci/gantry/internal/pipeline"
	"github.com/gantry-ci/gantry/internal/suggest"
)

// maxSize bounds gantry.yml: it is a few hundred lines at most.
const maxSize = 1 << 20

// emptyHint says what a gantry.yml holds.
const emptyHint = "declare coverage, or app, image and environments"

// Load reads and validates the file at path; a missing file is an error
// that errors.Is(err, fs.ErrNotExist) recognises.
func Load(path string) (*File, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", filepath.Base(path), err)
	}
	return Parse(path, src)
}

// Parse decodes gantry.yml source; name names it in errors. Every problem
// found is reported, joined, each an *Error with file:line:col.
func Parse(name string, src []byte) (*File, error) {
	d := &decoder{file: name}
	if len(src) > maxSize {
		return nil, &Error{Pos: pipeline.Pos{File: name}, Msg: fmt.Sprintf("file is %d bytes, more than %d", len(src), maxSize)}
	}
	var doc yaml.Node
	err := yaml.NewDecoder(bytes.NewReader(src)).Decode(&doc)
	if errors.Is(err, io.EOF) {
		return nil, &Error{Pos: pipeline.Pos{File: name}, Msg: "file is empty", Hint: emptyHint}
	}
	if err != nil {
		return nil, d.yamlError(err)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	f := d.document(root)
	if len(d.errs) > 0 {
		return nil, errors.Join(d.errs...)
	}
	f.Name = name
	return f, nil
}

// decoder walks the yaml.v3 node tree, collecting every error.
type decoder struct {
	file  string
	errs  []error
	depth int
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (d *decoder) yamlError(err error) error {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1]) // the regexp matched digits
		return &Error{Pos: pipeline.Pos{File: d.file, Line: line, Col: 1}, Msg: m[2], Hint: "the file is not valid YAML"}
	}
	return &Error{Pos: pipeline.Pos{File: d.file}, Msg: strings.TrimPrefix(msg, "yaml: "), Hint: "the file is not valid YAML"}
}

func (d *decoder) pos(n *yaml.Node) pipeline.Pos {
	return pipeline.Pos{File: d.file, Line: n.Line, Col: n.Column}
}

func (d *decoder) errorf(n *yaml.Node, hint, format string, args ...any) {
	d.errs = append(d.errs, &Error{Pos: d.pos(n), Msg: fmt.Sprintf(format, args...), Hint: hint})
}

// deref follows aliases (anchors reused with *name).
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// field is one key of a mapping.
type field struct {
	key   string
	kpos  *yaml.Node
	value *yaml.Node
}

// fields returns a mapping's keys in order, merge keys (<<) applied, and
// reports keys not in known with the closest known one as a hint.
func (d *decoder) fields(n *yaml.Node, what string, known ...string) []field {
	n = deref(n)
	if n == nil || isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "", "%s must be a map, not %s", what, kindName(n))
		return nil
	}
	d.depth++
	defer func() { d.depth-- }()
	if d.depth > 20 {
		d.errorf(n, "", "%s is nested too deep", what)
		return nil
	}
	var out []field
	seen := map[string]bool{}
	add := func(f field, override bool) {
		if seen[f.key] {
			if override {
				for i := range out {
					if out[i].key == f.key {
						out[i] = f
					}
				}
			}
			return
		}
		seen[f.key] = true
		out = append(out, f)
	}
	var merged []field
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value == "<<" && k.Tag == "!!merge" {
			// Merged keys come first and lose to explicit ones.
			m := deref(v)
			srcs := []*yaml.Node{m}
			if m != nil && m.Kind == yaml.SequenceNode {
				srcs = m.Content
			}
			for _, s := range srcs {
				merged = append(merged, d.fields(s, what)...)
			}
			continue
		}
		if seen[k.Value] {
			d.errorf(k, "remove one of them", "%s: key %q appears twice", what, k.Value)
			continue
		}
		if len(known) > 0 && !slices.Contains(known, k.Value) {
			d.errorf(k, hintFor(k.Value, known), "%s: unknown key %q", what, k.Value)
			continue
		}
		add(field{key: k.Value, kpos: k, value: v}, false)
	}
	for _, f := range merged {
		if len(known) == 0 || slices.Contains(known, f.key) {
			add(f, false)
		}
	}
	return out
}

// hintFor suggests the known key closest to key.
func hintFor(key string, known []string) string {
	if best := suggest.Nearest(key, known); best != "" {
		return fmt.Sprintf("did you mean %q?", best)
	}
	return "known keys: " + strings.Join(slices.Sorted(slices.Values(known)), ", ")
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a map"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if isNull(n) {
			return "null"
		}
		return "a scalar"
	}
	return "an unknown node"
}

// str decodes a scalar as a string.
func (d *decoder) str(n *yaml.Node, what string) string {
	n = deref(n)
	if n == nil || isNull(n) {
		return ""
	}
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, "", "%s must be a string, not %s", what, kindName(n))
		return ""
	}
	return n.Value
}

// strs decodes a string or a list of strings.
func (d *decoder) strs(n *yaml.Node, what string) []string {
	n = deref(n)
	if n == nil || isNull(n) {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		return []string{n.Value}
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "", "%s must be a string or a list of strings, not %s", what, kindName(n))
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for _, it := range n.Content {
		out = append(out, d.str(it, what+" item"))
	}
	return out
}

func (d *decoder) integer(n *yaml.Node, what string, lo, hi int) int {
	n = deref(n)
	if n == nil || isNull(n) {
		return 0
	}
	v, err := strconv.Atoi(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil {
		d.errorf(n, "", "%s must be a whole number, not %q", what, n.Value)
		return 0
	}
	if v < lo || v > hi {
		d.errorf(n, "", "%s must be between %d and %d, not %d", what, lo, hi, v)
		return 0
	}
	return v
}

func (d *decoder) boolean(n *yaml.Node, what string) bool {
	n = deref(n)
	if n == nil || isNull(n) {
		return false
	}
	switch n.Value {
	case "true", "yes", "on":
		return true
	case "false", "no", "off":
		return false
	}
	d.errorf(n, "", "%s must be true or false, not %q", what, n.Value)
	return false
}

// duration decodes "30s", "1m30s" or GitLab's "1 minute 30 seconds".
func (d *decoder) duration(n *yaml.Node, what string, def time.Duration) time.Duration {
	n = deref(n)
	if n == nil || isNull(n) {
		return def
	}
	s := n.Value
	if v, err := time.ParseDuration(s); err == nil && v > 0 {
		return v
	}
	if v, err := pipeline.ParseDuration(s); err == nil && v > 0 {
		return v
	}
	d.errorf(n, `write it like "30s", "2m" or "1m30s"`, "%s: %q is not a positive duration", what, s)
	return def
}
