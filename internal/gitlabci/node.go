// Package gitlabci is the .gitlab-ci.yml frontend: it reads pipeline files
// (include, inputs, anchors, extends, !reference, default) and yields the
// typed model of internal/pipeline. It is the only package that sees YAML.
package gitlabci

import (
	"github.com/gantry-ci/gantry/internal/pipeline"
)

// Kind is the shape of a Node.
type Kind int

// The kinds of Node.
const (
	Null Kind = iota
	Scalar
	Seq
	Map
)

func (k Kind) String() string {
	switch k {
	case Null:
		return "null"
	case Scalar:
		return "scalar"
	case Seq:
		return "list"
	case Map:
		return "map"
	}
	return "unknown"
}

// Tag values of interest. Scalars keep the YAML core schema tag they
// resolved to, so that `5` and `"5"` can be told apart.
const (
	TagStr       = "!!str"
	TagInt       = "!!int"
	TagFloat     = "!!float"
	TagBool      = "!!bool"
	TagNull      = "!!null"
	TagReference = "!reference"
)

// Node is a YAML value after anchors, aliases and merge keys are resolved,
// with the position it came from (file included, unlike yaml.Node). Trees
// may share subtrees (aliases): treat a Node as immutable and Clone before
// changing it.
type Node struct {
	Kind  Kind
	Tag   string
	Value string  // scalars
	Items []*Node // Seq
	Pairs []Pair  // Map, in file order, keys unique
	Pos   pipeline.Pos
	// Plain marks a scalar written without quotes or a tag Psych knows:
	// GitLab (YAML 1.1) types it from its text, which Value keeps as
	// written but for yes/no/on/off, already true/false (see
	// psychScalar).
	Plain bool
}

// Pair is one key of a Map node.
type Pair struct {
	Key    string
	KeyPos pipeline.Pos
	Value  *Node
}

// Get returns the value of key in a Map node, or nil.
func (n *Node) Get(key string) *Node {
	if p := n.Lookup(key); p != nil {
		return p.Value
	}
	return nil
}

// Lookup returns the pair for key in a Map node, or nil.
func (n *Node) Lookup(key string) *Pair {
	if n == nil || n.Kind != Map {
		return nil
	}
	for i := range n.Pairs {
		if n.Pairs[i].Key == key {
			return &n.Pairs[i]
		}
	}
	return nil
}

// Clone returns a deep copy of n.
func (n *Node) Clone() *Node {
	if n == nil {
		return nil
	}
	c := *n
	if n.Items != nil {
		c.Items = make([]*Node, len(n.Items))
		for i, it := range n.Items {
			c.Items[i] = it.Clone()
		}
	}
	if n.Pairs != nil {
		c.Pairs = make([]Pair, len(n.Pairs))
		for i, p := range n.Pairs {
			c.Pairs[i] = Pair{Key: p.Key, KeyPos: p.KeyPos, Value: p.Value.Clone()}
		}
	}
	return &c
}

// IsNull reports whether n is absent or a YAML null.
func (n *Node) IsNull() bool { return n == nil || n.Kind == Null }
