package gitlabci

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gantry-ci/gantry/internal/pipeline"
	"go.yaml.in/yaml/v3"
)

// Limits on input, so that hostile or broken files fail fast.
const (
	// MaxFileSize is GitLab's default max_yaml_size_bytes (2 MiB).
	MaxFileSize = 2 << 20
	// MaxNodes caps the size of a document after alias expansion
	// (billion laughs): far above any real pipeline.
	MaxNodes = 2_000_000
	// MaxDepth caps nesting, as GitLab's max_yaml_depth (100).
	MaxDepth = 100
)

// ParseDocuments parses YAML source into one Node per document. file names
// the source in positions and errors.
func ParseDocuments(file string, src []byte) ([]*Node, error) {
	if len(src) > MaxFileSize {
		return nil, errorf(pipeline.Pos{File: file}, "split it with include: local", "file is %s; pipeline files are limited to %s", byteSize(len(src)), byteSize(MaxFileSize))
	}
	if i := bytes.IndexByte(src, 0); i >= 0 {
		return nil, errorf(posAtOffset(file, src, i), "", "file is not text (it contains a NUL byte)")
	}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	deco := scanDecorators(file, src)
	var docs []*Node
	for {
		var yn yaml.Node
		err := dec.Decode(&yn)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, yamlError(file, err)
		}
		c := converter{file: file, sizes: map[*yaml.Node]int{}, deco: deco}
		n, err := c.convert(&yn, 0)
		if err != nil {
			return nil, err
		}
		docs = append(docs, n)
	}
	return docs, nil
}

// ParseDocument parses source holding a single YAML document; an empty
// source gives a Null node.
func ParseDocument(file string, src []byte) (*Node, error) {
	docs, err := ParseDocuments(file, src)
	if err != nil {
		return nil, err
	}
	switch len(docs) {
	case 0:
		return &Node{Kind: Null, Tag: TagNull, Pos: pipeline.Pos{File: file, Line: 1, Col: 1}}, nil
	case 1:
		return docs[0], nil
	}
	return nil, errorf(docs[1].Pos, "only a spec: header may precede a --- separator", "file has %d YAML documents", len(docs))
}

// yaml11Bools are the plain words YAML 1.1 (Ruby's Psych, which GitLab
// uses) reads as booleans beyond true and false. y and n are not among
// them in Psych.
var yaml11Bools = map[string]string{"yes": "true", "on": "true", "no": "false", "off": "false"}

type converter struct {
	file  string
	nodes int
	// sizes memoizes the expanded size of anchored nodes, so that a chain
	// of aliases is measured without being expanded.
	sizes map[*yaml.Node]int
	done  map[*yaml.Node]*Node
	// deco are gitlab-ci-local's job decorators (decorators.go); nil
	// when the file has none.
	deco *decorations
}

func (c *converter) pos(y *yaml.Node) pipeline.Pos {
	return pipeline.Pos{File: c.file, Line: y.Line, Col: y.Column}
}

func (c *converter) convert(y *yaml.Node, depth int) (*Node, error) {
	if depth > MaxDepth {
		return nil, errorf(c.pos(y), "", "nesting deeper than %d levels", MaxDepth)
	}
	c.nodes++
	if c.nodes > MaxNodes {
		return nil, errorf(c.pos(y), "check for recursive anchors (a \"billion laughs\" file)", "document expands to more than %d values", MaxNodes)
	}
	switch y.Kind {
	case yaml.DocumentNode:
		if len(y.Content) == 0 {
			return &Node{Kind: Null, Tag: TagNull, Pos: c.pos(y)}, nil
		}
		return c.convert(y.Content[0], depth)
	case yaml.AliasNode:
		// Count the alias at its expanded size, then share the subtree.
		size := c.size(y.Alias, 0)
		c.nodes += size
		if c.nodes > MaxNodes || size < 0 {
			return nil, errorf(c.pos(y), "check for recursive anchors (a \"billion laughs\" file)", "aliases expand to more than %d values", MaxNodes)
		}
		return c.convertShared(y.Alias, depth)
	case yaml.ScalarNode:
		n := &Node{Kind: Scalar, Tag: y.ShortTag(), Value: y.Value, Pos: c.pos(y)}
		if y.Tag == "!reference" {
			return nil, errorf(n.Pos, "write !reference [job, key]", "!reference must tag a list")
		}
		untagged := y.Style&yaml.TaggedStyle == 0
		if !strings.HasPrefix(n.Tag, "!!") {
			// Psych, GitLab's loader, reads a scalar under a tag it does
			// not know (!foo) as if it had none.
			n.Tag = implicitTag(y.Value, y.Style)
			untagged = true
		}
		if n.Tag == TagNull {
			n.Kind = Null
		}
		n.Plain = untagged && y.Style&^yaml.TaggedStyle == 0
		if b, ok := yaml11Bools[strings.ToLower(n.Value)]; ok && n.Plain && n.Tag == TagStr {
			// GitLab reads YAML 1.1, where a bare yes/no/on/off is a
			// boolean; yaml.v3 (YAML 1.2) reads it as a string.
			n.Tag, n.Value = TagBool, b
		}
		return n, nil
	case yaml.SequenceNode:
		n := &Node{Kind: Seq, Tag: "!!seq", Pos: c.pos(y), Items: make([]*Node, 0, len(y.Content))}
		if y.Tag == "!reference" {
			n.Tag = TagReference
		}
		for _, it := range y.Content {
			cn, err := c.convert(it, depth+1)
			if err != nil {
				return nil, err
			}
			n.Items = append(n.Items, cn)
		}
		return n, nil
	case yaml.MappingNode:
		return c.mapping(y, depth)
	}
	return nil, errorf(c.pos(y), "", "unsupported YAML node")
}

// convertShared converts an anchored node once and reuses the result for
// every alias of it.
func (c *converter) convertShared(y *yaml.Node, depth int) (*Node, error) {
	if c.done == nil {
		c.done = map[*yaml.Node]*Node{}
	}
	if n, ok := c.done[y]; ok {
		return n, nil
	}
	saved := c.nodes
	n, err := c.convert(y, depth)
	c.nodes = saved // already counted by size()
	if err != nil {
		return nil, err
	}
	c.done[y] = n
	return n, nil
}

// size is the number of values y expands to, or -1 past MaxNodes.
func (c *converter) size(y *yaml.Node, depth int) int {
	if s, ok := c.sizes[y]; ok {
		return s
	}
	if depth > MaxDepth {
		return -1
	}
	c.sizes[y] = -1 // a cycle reads as "too big"
	s := 1
	if y.Kind == yaml.AliasNode {
		s = c.size(y.Alias, depth+1)
	} else {
		for _, ch := range y.Content {
			cs := c.size(ch, depth+1)
			if cs < 0 || s+cs > MaxNodes {
				return -1
			}
			s += cs
		}
	}
	c.sizes[y] = s
	return s
}

func (c *converter) mapping(y *yaml.Node, depth int) (*Node, error) {
	n := &Node{Kind: Map, Tag: "!!map", Pos: c.pos(y)}
	if y.Tag == "!reference" {
		return nil, errorf(n.Pos, "write !reference [job, key]", "!reference must tag a list")
	}
	explicit := map[string]bool{}
	var merged []*Node
	for i := 0; i+1 < len(y.Content); i += 2 {
		k, v := y.Content[i], y.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			m, err := c.convert(v, depth+1)
			if err != nil {
				return nil, err
			}
			switch m.Kind {
			case Map:
				merged = append(merged, m)
			case Seq:
				for _, it := range m.Items {
					if it.Kind != Map {
						return nil, errorf(it.Pos, "", "merge key << needs a map or a list of maps, got a %s", it.Kind)
					}
					merged = append(merged, it)
				}
			default:
				return nil, errorf(m.Pos, "", "merge key << needs a map or a list of maps, got a %s", m.Kind)
			}
			continue
		}
		if k.Kind != yaml.ScalarNode {
			return nil, errorf(c.pos(k), "quote the key", "map keys must be plain scalars")
		}
		if depth == 0 {
			c.deco.mark(k, v)
		}
		vn, err := c.convert(v, depth+1)
		if err != nil {
			return nil, err
		}
		if explicit[k.Value] {
			// GitLab's YAML loader keeps the last value of a key written
			// twice, in the place of the first.
			i := slices.IndexFunc(n.Pairs, func(p Pair) bool { return p.Key == k.Value })
			n.Pairs[i] = Pair{Key: k.Value, KeyPos: c.pos(k), Value: vn}
			continue
		}
		explicit[k.Value] = true
		n.Pairs = append(n.Pairs, Pair{Key: k.Value, KeyPos: c.pos(k), Value: vn})
	}
	c.deco.apply(y, n, explicit)
	// YAML merge: explicit keys win, then earlier merged maps win over later ones.
	for _, m := range merged {
		for _, p := range m.Pairs {
			if !explicit[p.Key] {
				explicit[p.Key] = true
				n.Pairs = append(n.Pairs, p)
			}
		}
	}
	return n, nil
}

var yamlLineRe = regexp.MustCompile(`^yaml: line (\d+)(?:, column (\d+))?: (.*)$`)

// yamlError turns a yaml.v3 error into an *Error with a position.
func yamlError(file string, err error) error {
	msg := err.Error()
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1]) // the regexp guarantees digits
		col, _ := strconv.Atoi(m[2])  // empty when absent: 0 is "unknown"
		return errorf(pipeline.Pos{File: file, Line: line, Col: max(col, 1)}, "", "invalid YAML: %s", m[3])
	}
	return errorf(pipeline.Pos{File: file}, "", "invalid YAML: %s", trimYAMLPrefix(msg))
}

func trimYAMLPrefix(s string) string {
	if len(s) > 6 && s[:6] == "yaml: " {
		return s[6:]
	}
	return s
}

func posAtOffset(file string, src []byte, off int) pipeline.Pos {
	line := 1 + bytes.Count(src[:off], []byte{'\n'})
	col := off - bytes.LastIndexByte(src[:off], '\n')
	return pipeline.Pos{File: file, Line: line, Col: col}
}

func byteSize(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// ParseFile reads and parses the single-document pipeline file at path;
// name is how positions and errors refer to it (usually relative to the
// project). The size limit is checked before reading.
func ParseFile(path, name string) (*Node, error) {
	src, err := readLimited(path, name)
	if err != nil {
		return nil, err
	}
	return ParseDocument(name, src)
}

// readLimited reads a pipeline file, refusing files over MaxFileSize
// without reading them whole.
func readLimited(path, name string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errorf(pipeline.Pos{File: name}, "", "%v", unwrapPathError(err))
	}
	defer f.Close()
	src, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, errorf(pipeline.Pos{File: name}, "", "read: %v", unwrapPathError(err))
	}
	if len(src) > MaxFileSize {
		if st, err := f.Stat(); err == nil {
			return nil, errorf(pipeline.Pos{File: name}, "split it with include: local", "file is %s; pipeline files are limited to %s", byteSize(int(st.Size())), byteSize(MaxFileSize))
		}
		return nil, errorf(pipeline.Pos{File: name}, "split it with include: local", "file is larger than %s, the limit for pipeline files", byteSize(MaxFileSize))
	}
	return src, nil
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s %s", pe.Op, pe.Err)
	}
	return err
}

// implicitTag is the tag YAML resolves for an untagged scalar written in
// style.
func implicitTag(value string, style yaml.Style) string {
	y := yaml.Node{Kind: yaml.ScalarNode, Value: value, Style: style &^ yaml.TaggedStyle}
	return y.ShortTag()
}
