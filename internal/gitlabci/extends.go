package gitlabci

import (
	"slices"
	"strings"
)

// applyExtends merges every top-level entry that has extends: with its
// parents, the way GitLab does (Config::Extendable): parents are merged in
// order (later parents win), then the entry itself over them; maps merge
// recursively, lists and scalars replace. Chains may span MaxExtendsDepth
// levels. The result has no extends: keys. Each entry is resolved once and
// shared by everything that extends it.
func applyExtends(doc *Node) (*Node, error) {
	e := &extender{doc: doc, idx: make(map[string]int, len(doc.Pairs)), done: map[string]extended{}, active: map[string]bool{}}
	any := false
	for i, p := range doc.Pairs {
		e.idx[p.Key] = i
		any = any || (p.Value.Kind == Map && p.Value.Lookup("extends") != nil)
	}
	if !any {
		return doc, nil
	}
	out := *doc
	out.Pairs = make([]Pair, len(doc.Pairs))
	for i, p := range doc.Pairs {
		out.Pairs[i] = p
		if p.Value.Kind != Map || p.Value.Lookup("extends") == nil {
			continue
		}
		r, err := e.resolve(p.Key, nil)
		if err != nil {
			return nil, err
		}
		out.Pairs[i].Value = r.node
	}
	return &out, nil
}

type extender struct {
	doc    *Node
	idx    map[string]int
	done   map[string]extended
	active map[string]bool
}

// extended is an entry with its parents merged in; height is the length
// of its longest extends chain (0: extends nothing).
type extended struct {
	node   *Node
	height int
}

// resolve merges the entry name with its parents. stack lists the entries
// being resolved that (transitively) extend name, for cycle messages.
func (e *extender) resolve(name string, stack []string) (extended, error) {
	if r, ok := e.done[name]; ok {
		return r, nil
	}
	self := e.doc.Pairs[e.idx[name]].Value
	ext := self.Lookup("extends")
	if ext == nil {
		r := extended{node: self}
		e.done[name] = r
		return r, nil
	}
	parents, err := extendsNames(ext)
	if err != nil {
		return extended{}, err
	}
	e.active[name] = true
	defer delete(e.active, name)
	stack = append(stack, name)

	merged := &Node{Kind: Map, Tag: self.Tag, Pos: self.Pos}
	height := 0
	for _, p := range parents {
		i, ok := e.idx[p.Value]
		if !ok {
			return extended{}, errorf(p.Pos, e.unknownHint(p.Value), "%s extends %q, which is not defined", name, p.Value)
		}
		if pv := e.doc.Pairs[i].Value; pv.Kind != Map {
			return extended{}, errorf(p.Pos, "extends names a job or a hidden job (.name)", "%s extends %q, which is a %s, not a job", name, p.Value, pv.Kind)
		}
		if e.active[p.Value] {
			chain := append(stack[slices.Index(stack, p.Value):len(stack):len(stack)], p.Value)
			return extended{}, errorf(p.Pos, "remove one of the extends in the cycle", "circular dependency in extends: %s", strings.Join(chain, " -> "))
		}
		r, err := e.resolve(p.Value, stack)
		if err != nil {
			return extended{}, err
		}
		height = max(height, r.height+1)
		merged = deepMerge(merged, r.node)
	}
	if height >= MaxExtendsDepth {
		return extended{}, errorf(ext.Value.Pos, "flatten the chain: fewer parents of parents", "%s: extends nests deeper than %d levels", name, MaxExtendsDepth)
	}
	own := *self
	own.Pairs = make([]Pair, 0, len(self.Pairs)-1)
	for _, p := range self.Pairs {
		if p.Key != "extends" {
			own.Pairs = append(own.Pairs, p)
		}
	}
	merged = deepMerge(merged, &own)
	merged.Pos = self.Pos
	r := extended{node: merged, height: height}
	e.done[name] = r
	return r, nil
}

// extendsNames reads extends: a name or a list of names.
func extendsNames(ext *Pair) ([]*Node, error) {
	v := ext.Value
	switch {
	case v.Kind == Scalar:
		return []*Node{v}, nil
	case v.Kind == Seq && v.Tag != TagReference:
		for _, it := range v.Items {
			if it.Kind != Scalar {
				return nil, errorf(it.Pos, "", "extends lists job names, not a %s", it.Kind)
			}
		}
		return v.Items, nil
	case v.Kind == Null:
		return nil, nil
	}
	pos := v.Pos
	if pos.Line == 0 {
		pos = ext.KeyPos
	}
	return nil, errorf(pos, "write extends: .template or extends: [.a, .b]", "extends must be a job name or a list of job names")
}

// unknownHint suggests the defined entry nearest to name.
func (e *extender) unknownHint(name string) string {
	names := make([]string, 0, len(e.doc.Pairs))
	for _, p := range e.doc.Pairs {
		if p.Value.Kind == Map {
			names = append(names, p.Key)
		}
	}
	return didYouMean(name, names, "define it, or include the file that defines it")
}
