package gitlabci

// indexThreshold is the map size past which lookups go through a hash
// index instead of a scan: a top level of thousands of jobs must merge in
// linear time.
const indexThreshold = 16

// deepMerge returns dst with src merged over it, the way GitLab merges
// included files and extends parents (ActiveSupport's Hash#deep_merge):
// when both sides are maps their keys merge recursively, otherwise src
// replaces dst. Keys keep dst's order; keys only in src follow. Neither
// input is modified: the result shares unchanged subtrees with them.
func deepMerge(dst, src *Node) *Node {
	if dst == nil || dst.Kind != Map || src == nil || src.Kind != Map {
		return src
	}
	out := &Node{Kind: Map, Tag: src.Tag, Pos: src.Pos, Pairs: make([]Pair, len(dst.Pairs), len(dst.Pairs)+len(src.Pairs))}
	copy(out.Pairs, dst.Pairs)
	idx := pairIndex(dst)
	for _, p := range src.Pairs {
		i, ok := idx.find(out, p.Key)
		if !ok {
			out.Pairs = append(out.Pairs, p)
			continue
		}
		old := out.Pairs[i].Value
		out.Pairs[i] = Pair{Key: p.Key, KeyPos: p.KeyPos, Value: deepMerge(old, p.Value)}
	}
	return out
}

// keyIndex finds keys of a map; it is nil (a scan) for small maps.
type keyIndex map[string]int

func pairIndex(n *Node) keyIndex {
	if len(n.Pairs) < indexThreshold {
		return nil
	}
	idx := make(keyIndex, len(n.Pairs))
	for i, p := range n.Pairs {
		idx[p.Key] = i
	}
	return idx
}

// find returns the position of key among the first pairs of n that the
// index was built from (later pairs are keys that were not found).
func (idx keyIndex) find(n *Node, key string) (int, bool) {
	if idx != nil {
		i, ok := idx[key]
		return i, ok
	}
	for i := range n.Pairs {
		if n.Pairs[i].Key == key {
			return i, true
		}
	}
	return 0, false
}
