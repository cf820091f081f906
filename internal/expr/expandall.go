package expr

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Var is one job variable. Raw is `expand: false` (or a raw project
// variable): its value is never expanded, and a reference to it from another
// variable receives the value as written.
type Var struct {
	Name, Value string
	Raw         bool
}

// ExpandAll expands an ordered variable list the way a job sees it when it
// starts. Later entries override earlier ones with the same name; the result
// has one entry per name, at the name's first appearance, with the final
// value.
//
// GitLab does this in two steps, and so does ExpandAll:
//
//  1. GitLab (Ci::BuildRunnerPresenter#runner_variables, that is
//     Variables::Collection#sort_and_expand_all) sorts the variables so each
//     comes after those it references, then expands $NAME, ${NAME} and
//     %NAME% in every non-raw value with the already expanded values, so
//     references chain to any depth and a variable may extend an earlier
//     definition of itself (PATH: "$PATH:/x"). References to undefined or raw
//     variables and the escapes $$ and %% are left for step 2. When the
//     references form a cycle (A: $B, B: $A) GitLab skips this step for the
//     whole list; CheckCycles reports it.
//  2. GitLab Runner (Variables.Expand) expands every non-raw value once more
//     with Expand, looking names up in the list from step 1 as it stands,
//     last definition winning: $$ becomes $, undefined names become empty,
//     a reference to a raw variable gets its value unexpanded. There is no
//     recursion, so a cycle cannot loop: A: $B, B: $A ends as A="$A",
//     B="$B".
//
// The runner adds its own variables (CI_BUILDS_DIR, CI_SERVER_TLS_*, ...)
// before step 2; pass them in the list. File-type variables are not modelled.
func ExpandAll(vars []Var) []Var {
	list := gitlabExpand(vars)
	last := map[string]string{}
	for _, v := range list {
		last[v.Name] = v.Value
	}
	lookup, final := Map(last), map[string]string{}
	for _, v := range list {
		if !v.Raw {
			v.Value = Expand(v.Value, lookup)
		}
		final[v.Name] = v.Value
	}
	out := make([]Var, 0, len(final))
	seen := map[string]bool{}
	for _, v := range vars {
		if seen[v.Name] {
			continue
		}
		seen[v.Name] = true
		// Raw-ness follows the definition that wins.
		out = append(out, Var{Name: v.Name, Value: final[v.Name], Raw: lastRaw(vars, v.Name)})
	}
	return out
}

func lastRaw(vars []Var, name string) bool {
	for i := len(vars) - 1; i >= 0; i-- {
		if vars[i].Name == name {
			return vars[i].Raw
		}
	}
	return false
}

// collectionRefRE is GitLab's Variables::Collection::Item::VARIABLES_REGEXP:
// the escapes $$ and %%, then $NAME, ${NAME} (or ${}) and %NAME%.
var collectionRefRE = regexp.MustCompile(`\$\$|%%|\$([a-zA-Z_][a-zA-Z0-9_]*)|\$\{([a-zA-Z_][a-zA-Z0-9_]*)?\}|%([a-zA-Z_][a-zA-Z0-9_]*)%`)

// refs returns the names v references, or nil when GitLab would not expand
// it (raw, or no $ or % at all).
func refs(v Var) []string {
	if v.Raw || !strings.ContainsAny(v.Value, "$%") {
		return nil
	}
	names := []string{}
	for _, m := range collectionRefRE.FindAllStringSubmatch(v.Value, -1) {
		if name := m[1] + m[2] + m[3]; name != "" {
			names = append(names, name)
		}
	}
	return names
}

// graph is the dependency graph GitLab's Collection::Sort walks: an edge goes
// from a variable to every definition of each name it references.
type graph struct {
	vars   []Var
	byName map[string][]int
	deps   [][]string
}

func newGraph(vars []Var) *graph {
	g := &graph{vars: vars, byName: map[string][]int{}, deps: make([][]string, len(vars))}
	for i, v := range vars {
		g.byName[v.Name] = append(g.byName[v.Name], i)
		g.deps[i] = refs(v)
	}
	return g
}

func (g *graph) children(i int, visit func(int)) {
	for _, name := range g.deps[i] {
		for _, j := range g.byName[name] {
			visit(j)
		}
	}
}

// gitlabExpand is step 1 of ExpandAll. It returns the list in GitLab's
// dependency order, which keeps the relative order of same-name entries.
func gitlabExpand(vars []Var) []Var {
	g := newGraph(vars)
	if len(g.cycles()) > 0 {
		return vars
	}
	done := make([]bool, len(vars))
	var out []Var
	last := map[string]Var{}
	var visit func(int)
	visit = func(i int) {
		if done[i] {
			return
		}
		done[i] = true // before the children: a self-reference is not a cycle
		g.children(i, visit)
		v := vars[i]
		if g.deps[i] != nil {
			v.Value = collectionRefRE.ReplaceAllStringFunc(v.Value, func(ref string) string {
				m := collectionRefRE.FindStringSubmatch(ref)
				name := m[1] + m[2] + m[3]
				if name == "" {
					return ref // $$, %% and ${} are the runner's business
				}
				dep, ok := last[name]
				if !ok || dep.Raw {
					return ref
				}
				return dep.Value
			})
		}
		out = append(out, v)
		last[v.Name] = v
	}
	for i := range vars {
		visit(i)
	}
	return out
}

// CycleError reports variables whose references form cycles, which make
// GitLab skip its expansion step (see ExpandAll) and refuse to create a
// pipeline with the job (Seed::Build#variable_expansion_errors).
type CycleError struct {
	// Cycles lists the names in each cycle, in definition order.
	Cycles [][]string
	// Entries lists, for each cycle, the indexes in the checked list of
	// the definitions that take part in it, ascending: where to point a
	// user.
	Entries [][]int
}

// Error is GitLab's message (Collection::Sort#errors), names quoted as
// Ruby inspects an array.
func (e *CycleError) Error() string {
	parts := make([]string, len(e.Cycles))
	for i, c := range e.Cycles {
		q := make([]string, len(c))
		for j, name := range c {
			q[j] = strconv.Quote(name)
		}
		parts[i] = "[" + strings.Join(q, ", ") + "]"
	}
	return "circular variable reference detected: " + strings.Join(parts, ", ")
}

// CheckCycles returns a *CycleError when the references between vars form a
// cycle (a variable referring only to itself is not one), nil otherwise.
func CheckCycles(vars []Var) error {
	// A variable without references has no edge out, so it is in no
	// cycle: the graph of the others alone has the same cycles, and is
	// small (a job's list is mostly predefined values without any $).
	var sub []Var
	var at []int
	for i, v := range vars {
		if refs(v) != nil {
			sub = append(sub, v)
			at = append(at, i)
		}
	}
	if len(sub) < 2 {
		return nil
	}
	c := newGraph(sub).cycles()
	if len(c) == 0 {
		return nil
	}
	e := &CycleError{Entries: c}
	for _, idx := range c {
		for j, i := range idx {
			idx[j] = at[i]
		}
		e.Cycles = append(e.Cycles, names(vars, idx))
	}
	return e
}

// cycles returns the strongly connected components of more than one
// variable, found with Tarjan's algorithm as Ruby's TSort does, as sorted
// indexes into g.vars.
func (g *graph) cycles() [][]int {
	n := len(g.vars)
	index := make([]int, n)
	low := make([]int, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var stack []int
	next := 0
	var out [][]int
	var strong func(int)
	strong = func(v int) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		onStack[v] = true
		g.children(v, func(w int) {
			if index[w] < 0 {
				strong(w)
				low[v] = min(low[v], low[w])
			} else if onStack[w] {
				low[v] = min(low[v], index[w])
			}
		})
		if low[v] != index[v] {
			return
		}
		var comp []int
		for {
			w := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			onStack[w] = false
			comp = append(comp, w)
			if w == v {
				break
			}
		}
		if len(comp) > 1 {
			slices.Sort(comp)
			out = append(out, comp)
		}
	}
	for v := range n {
		if index[v] < 0 {
			strong(v)
		}
	}
	return out
}

// names lists the distinct names of the given entries (sorted indexes) in
// definition order.
func names(vars []Var, idx []int) []string {
	var out []string
	seen := map[string]bool{}
	for _, i := range idx {
		if name := vars[i].Name; !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out
}
