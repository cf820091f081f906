package gitlabci

import (
	"strings"
)

// resolveReferences replaces every !reference [job, key, ...] in doc by
// the value it points to, after extends as in GitLab. A referenced value
// may itself hold references (up to MaxReferenceDepth levels). A reference
// that is an item of a list and points to a list is spliced into it, one
// level, so that script: [!reference [.setup, script], make] is a flat list.
// GitLab nests such a list instead and flattens it when it reads the key,
// up to MaxListNesting levels: a splice that hides deeper nesting is
// refused as GitLab refuses the key.
func resolveReferences(doc *Node) (*Node, error) {
	rr := &refResolver{doc: doc, idx: make(map[string]int, len(doc.Pairs)), memo: map[*Node]*Node{}, active: map[*Node]bool{}, nesting: map[*Node]int{}}
	for i, p := range doc.Pairs {
		rr.idx[p.Key] = i
	}
	return rr.walk(doc, 0)
}

type refResolver struct {
	doc *Node
	idx map[string]int
	// memo holds resolved subtrees and references, by node: aliased
	// subtrees and popular references are resolved once.
	memo map[*Node]*Node
	// active are the references being resolved, to detect cycles.
	active map[*Node]bool
	// nesting is, per resolved list, how deep GitLab would see it nested
	// had its references not been spliced; lists without splices are
	// measured as they are.
	nesting map[*Node]int
}

// MaxListNesting is how deeply GitLab lets lists nest in the keys that
// flatten them (script:, before_script:, after_script:, stages:), the
// list itself being the first level.
const MaxListNesting = 10

// depth is how many levels of lists GitLab would see in n.
func (rr *refResolver) depth(n *Node) int {
	if n.Kind != Seq {
		return 0
	}
	if d, ok := rr.nesting[n]; ok {
		return d
	}
	d := 1
	for _, it := range n.Items {
		d = max(d, 1+rr.depth(it))
	}
	rr.nesting[n] = d
	return d
}

// walk returns n with the references under it resolved; depth is the
// number of references being resolved around it.
func (rr *refResolver) walk(n *Node, depth int) (*Node, error) {
	if n.Kind == Seq && n.Tag == TagReference {
		return rr.reference(n, depth+1)
	}
	if n.Kind != Seq && n.Kind != Map {
		return n, nil
	}
	if r, ok := rr.memo[n]; ok {
		return r, nil
	}
	var out *Node
	var err error
	if n.Kind == Seq {
		out, err = rr.seq(n, depth)
	} else {
		out, err = rr.mapping(n, depth)
	}
	if err != nil {
		return nil, err
	}
	rr.memo[n] = out
	return out, nil
}

func (rr *refResolver) seq(n *Node, depth int) (*Node, error) {
	var items []*Node
	nested := 0 // the deepest spliced list, as GitLab would nest it
	for i, it := range n.Items {
		r, err := rr.walk(it, depth)
		if err != nil {
			return nil, err
		}
		splice := it.Tag == TagReference && it.Kind == Seq && r.Kind == Seq
		if (r != it || splice) && items == nil {
			items = make([]*Node, i, len(n.Items))
			copy(items, n.Items)
		}
		switch {
		case splice:
			nested = max(nested, 1+rr.depth(r))
			if nested > MaxListNesting {
				return nil, errorf(it.Pos, "reference a shallower list, or list the commands directly",
					"!reference makes a list nested more than %d levels deep (GitLab: config should be a string or a nested array of strings up to %d levels deep)", MaxListNesting, MaxListNesting)
			}
			items = append(items, r.Items...)
		case items != nil:
			items = append(items, r)
		}
	}
	if items == nil {
		return n, nil
	}
	c := *n
	c.Items = items
	if nested > 0 {
		rr.nesting[&c] = max(nested, rr.depth(&c))
	}
	return &c, nil
}

func (rr *refResolver) mapping(n *Node, depth int) (*Node, error) {
	var pairs []Pair
	for i, p := range n.Pairs {
		v, err := rr.walk(p.Value, depth)
		if err != nil {
			return nil, err
		}
		if v != p.Value && pairs == nil {
			pairs = make([]Pair, i, len(n.Pairs))
			copy(pairs, n.Pairs)
		}
		if pairs != nil {
			pairs = append(pairs, Pair{Key: p.Key, KeyPos: p.KeyPos, Value: v})
		}
	}
	if pairs == nil {
		return n, nil
	}
	c := *n
	c.Pairs = pairs
	return &c, nil
}

// reference resolves one !reference node; level counts nested references.
func (rr *refResolver) reference(n *Node, level int) (*Node, error) {
	if r, ok := rr.memo[n]; ok {
		return r, nil
	}
	path, err := referencePath(n)
	if err != nil {
		return nil, err
	}
	text := "!reference [" + strings.Join(path, ", ") + "]"
	if rr.active[n] {
		return nil, errorf(n.Pos, "a referenced value cannot refer back to itself", "%s is part of a circular chain", text)
	}
	if level > MaxReferenceDepth {
		return nil, errorf(n.Pos, "reference the final value directly", "%s: references nest deeper than %d levels", text, MaxReferenceDepth)
	}
	target, err := rr.lookup(n, path, text)
	if err != nil {
		return nil, err
	}
	rr.active[n] = true
	defer delete(rr.active, n)
	var res *Node
	if target.Kind == Seq && target.Tag == TagReference {
		res, err = rr.reference(target, level+1)
	} else {
		res, err = rr.walk(target, level)
	}
	if err != nil {
		return nil, err
	}
	rr.memo[n] = res
	return res, nil
}

func referencePath(n *Node) ([]string, error) {
	if len(n.Items) == 0 {
		return nil, errorf(n.Pos, "write !reference [job, key, ...]", "!reference needs a job name and keys")
	}
	path := make([]string, len(n.Items))
	for i, it := range n.Items {
		if it.Kind != Scalar {
			return nil, errorf(it.Pos, "write !reference [job, key, ...]", "!reference items must be names, not a %s", it.Kind)
		}
		path[i] = it.Value
	}
	return path, nil
}

// lookup finds the value a reference points to in the (unresolved) document.
func (rr *refResolver) lookup(n *Node, path []string, text string) (*Node, error) {
	i, ok := rr.idx[path[0]]
	if !ok {
		names := make([]string, 0, len(rr.doc.Pairs))
		for _, p := range rr.doc.Pairs {
			names = append(names, p.Key)
		}
		return nil, errorf(n.Pos, didYouMean(path[0], names, "define it, or include the file that defines it"), "%s could not be found: no job or key %q", text, path[0])
	}
	cur := rr.doc.Pairs[i].Value
	for j, key := range path[1:] {
		if cur.Kind != Map {
			return nil, errorf(n.Pos, "", "%s could not be found: %s is a %s, not a map", text, strings.Join(path[:j+1], "."), cur.Kind)
		}
		next := cur.Get(key)
		if next == nil {
			keys := make([]string, 0, len(cur.Pairs))
			for _, p := range cur.Pairs {
				keys = append(keys, p.Key)
			}
			return nil, errorf(n.Pos, didYouMean(key, keys, ""), "%s could not be found: %s has no key %q", text, strings.Join(path[:j+1], "."), key)
		}
		cur = next
	}
	if cur.Kind == Null {
		return nil, errorf(n.Pos, "", "%s could not be found: the value is null", text)
	}
	return cur, nil
}
