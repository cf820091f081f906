package plan

import (
	"github.com/gantry-ci/gantry/internal/expr"
	"github.com/gantry-ci/gantry/internal/pipeline"
)

// scope is a layered variable list: later definitions override earlier
// ones. It keeps every definition, in order, for the job's final list.
type scope struct {
	list []Variable
	last map[string]int
}

func newScope(capacity int) *scope {
	return &scope{list: make([]Variable, 0, capacity), last: make(map[string]int, capacity)}
}

func (s *scope) set(v Variable) {
	s.last[v.Name] = len(s.list)
	s.list = append(s.list, v)
}

func (s *scope) addAll(vs []Variable) {
	for _, v := range vs {
		s.set(v)
	}
}

// addModel adds variables as written in the pipeline file; keep filters
// them (inherit:variables), nil keeps all.
func (s *scope) addModel(vs []pipeline.Variable, keep func(string) bool) {
	for _, v := range vs {
		if keep == nil || keep(v.Name) {
			s.set(Variable{Name: v.Name, Value: v.Value, Raw: !v.Expand})
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
	in := make([]expr.Var, len(s.list))
	for i, v := range s.list {
		in[i] = expr.Var{Name: v.Name, Value: v.Value, Raw: v.Raw}
	}
	out := expr.ExpandAll(in)
	res := make([]Variable, len(out))
	for i, v := range out {
		win := s.list[s.last[v.Name]]
		res[i] = Variable{Name: v.Name, Value: v.Value, Raw: true, Masked: win.Masked, File: win.File}
	}
	return res
}
