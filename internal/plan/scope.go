package plan

import (
	"github.com/gantry-ci/gantry/internal/expr"
	"github.com/gantry-ci/gantry/internal/pipeline"
)

// scope is a layered variable list: later definitions override earlier
// ones. It keeps every definition, in order, for the job's final list,
// and where each came from, for errors.
type scope struct {
	list []Variable
	from []origin
	last map[string]int
}

// origin is where a variable of a scope was defined: a position in the
// pipeline file, or else what gave it.
type origin struct {
	pos  pipeline.Pos
	what string
}

// The origins of variables that are not in the pipeline file.
var (
	fromTrigger    = origin{what: "the project or pipeline variables"}
	fromPredefined = origin{what: "the predefined variables"}
	fromMatrix     = origin{what: "parallel:matrix"}
)

func (o origin) String() string {
	if o.pos.Line > 0 {
		return "at " + o.pos.String()
	}
	return "from " + o.what
}

func newScope(capacity int) *scope {
	return &scope{list: make([]Variable, 0, capacity), from: make([]origin, 0, capacity), last: make(map[string]int, capacity)}
}

func (s *scope) set(v Variable, from origin) {
	s.last[v.Name] = len(s.list)
	s.list = append(s.list, v)
	s.from = append(s.from, from)
}

func (s *scope) addAll(vs []Variable, from origin) {
	for _, v := range vs {
		s.set(v, from)
	}
}

// addScope adds every definition of o, with its origin.
func (s *scope) addScope(o *scope) {
	for i, v := range o.list {
		s.set(v, o.from[i])
	}
}

// addModel adds variables as written in the pipeline file; keep filters
// them (inherit:variables), nil keeps all.
func (s *scope) addModel(vs []pipeline.Variable, keep func(string) bool) {
	for _, v := range vs {
		if keep == nil || keep(v.Name) {
			s.set(Variable{Name: v.Name, Value: v.Value, Raw: !v.Expand}, origin{pos: v.Pos, what: "the pipeline file"})
		}
	}
}

// lookup is the expression language's view: values as written, without
// expansion, as GitLab evaluates rules:if.
func (s *scope) lookup(name string) (string, bool) {
	i, ok := s.last[name]
	if !ok {
		return "", false
	}
	return s.list[i].Value, true
}

// Lookup adapts s to the expression language.
func (s *scope) Lookup() expr.Lookup { return s.lookup }

// expanded is the final variable list of a job: one entry per name, values
// expanded as GitLab and its runner do, marked Raw since they are final.
// Masked and File follow the winning definition.
func (s *scope) expanded() []Variable {
	out := expr.ExpandAll(s.vars())
	res := make([]Variable, len(out))
	for i, v := range out {
		win := s.list[s.last[v.Name]]
		res[i] = Variable{Name: v.Name, Value: v.Value, Raw: true, Masked: win.Masked, File: win.File}
	}
	return res
}

// vars is the list in expr's terms.
func (s *scope) vars() []expr.Var {
	in := make([]expr.Var, len(s.list))
	for i, v := range s.list {
		in[i] = expr.Var{Name: v.Name, Value: v.Value, Raw: v.Raw}
	}
	return in
}
