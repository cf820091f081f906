package gitlabci

import (
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Render writes n as YAML, like GitLab's "full configuration" view: keys in
// document order, two-space indentation, strings quoted where YAML would
// otherwise read them as another type.
func Render(w io.Writer, n *Node) error {
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(toYAML(n)); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	return nil
}

// yaml11Bool are the YAML 1.1 booleans that YAML 1.2 reads as strings.
var yaml11Bool = map[string]bool{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true,
	"n": true, "N": true, "no": true, "No": true, "NO": true,
	"on": true, "On": true, "ON": true, "off": true, "Off": true, "OFF": true,
}

// toYAML converts a node to yaml.v3's tree. Shared subtrees are converted
// once and shared: the encoder only reads them.
func toYAML(n *Node) *yaml.Node {
	memo := map[*Node]*yaml.Node{}
	var conv func(*Node) *yaml.Node
	conv = func(n *Node) *yaml.Node {
		if n == nil {
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: TagNull, Value: "null"}
		}
		if y, ok := memo[n]; ok {
			return y
		}
		var y *yaml.Node
		switch n.Kind {
		case Null:
			y = &yaml.Node{Kind: yaml.ScalarNode, Tag: TagNull, Value: "null"}
		case Scalar:
			y = &yaml.Node{Kind: yaml.ScalarNode, Tag: n.Tag, Value: n.Value}
			switch {
			case n.Tag != TagStr:
			case yaml11Bool[n.Value]:
				// yaml.v3 writes these bare, but GitLab (YAML 1.1) would read
				// them back as booleans.
				y.Style = yaml.DoubleQuotedStyle
			case strings.HasSuffix(n.Value, "\n"):
				y.Style = yaml.LiteralStyle
			}
		case Seq:
			y = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: make([]*yaml.Node, len(n.Items))}
			if n.Tag == TagReference {
				y.Tag, y.Style = TagReference, yaml.FlowStyle
			}
			for i, it := range n.Items {
				y.Content[i] = conv(it)
			}
		case Map:
			y = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: make([]*yaml.Node, 0, 2*len(n.Pairs))}
			for _, p := range n.Pairs {
				y.Content = append(y.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: TagStr, Value: p.Key}, conv(p.Value))
			}
		}
		memo[n] = y
		return y
	}
	return conv(n)
}
