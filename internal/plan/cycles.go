package plan

import (
	"errors"
	"strings"

	"github.com/gantry-ci/gantry/internal/expr"
	"github.com/gantry-ci/gantry/internal/pipeline"
)

// cycleError is GitLab's refusal of a job whose variables refer to each
// other in a circle (Seed::Build#variable_expansion_errors): GitLab then
// creates no pipeline. s holds what GitLab checks: the predefined, global,
// job, matrix and pipeline variables, not the rules' own. The error points
// at the first definition in the cycle the pipeline file has, else at the
// job; nil when there is no cycle.
func cycleError(s *scope, job string, at pipeline.Pos) *Error {
	var ce *expr.CycleError
	if !errors.As(expr.CheckCycles(s.vars()), &ce) {
		return nil
	}
	pos := pipeline.Pos{}
	var where []string
	for _, idx := range ce.Entries {
		for _, i := range idx {
			o := s.from[i]
			if pos.Line == 0 && o.pos.Line > 0 {
				pos = o.pos
			}
			where = append(where, s.list[i].Name+" "+o.String())
		}
	}
	if pos.Line == 0 {
		pos = at
	}
	return &Error{Pos: pos, Job: job, Msg: ce.Error(),
		Hint: strings.Join(where, ", ") + " refer to each other: change one so it does not refer back, or give it expand: false"}
}

// cycleErrors collects the cycle errors of several jobs, once each: a
// cycle among global variables is every job's.
type cycleErrors struct {
	list []*Error
	seen map[string]bool
}

func (c *cycleErrors) add(e *Error) {
	if e == nil {
		return
	}
	key := e.Pos.String() + "\x00" + e.Msg
	if c.seen[key] {
		return
	}
	if c.seen == nil {
		c.seen = map[string]bool{}
	}
	c.seen[key] = true
	c.list = append(c.list, e)
}

// err returns nil, the one error, or all of them joined, as GitLab lists
// every job's.
func (c *cycleErrors) err() error {
	switch len(c.list) {
	case 0:
		return nil
	case 1:
		return c.list[0]
	}
	errs := make([]error, len(c.list))
	for i, e := range c.list {
		errs[i] = e
	}
	return errors.Join(errs...)
}

// CheckVariables reports the jobs of p whose own variables (global ones
// they inherit, their own, their matrix values) refer to each other in a
// circle. Such a job fails every pipeline it is in, whatever the trigger
// adds, so a linter can report it without one; New reports it for the
// jobs a trigger admits, with the trigger's variables too.
func CheckVariables(p *pipeline.Pipeline) []*pipeline.Error {
	var c cycleErrors
	for _, spec := range p.Jobs {
		for _, in := range instances(spec) {
			s := newScope(len(p.Variables) + len(spec.Variables) + len(in.matrix))
			s.addModel(p.Variables, spec.Inherit.InheritsVariable)
			s.addModel(spec.Variables, nil)
			s.addAll(in.matrix, fromMatrix)
			c.add(cycleError(s, in.name, spec.Pos))
		}
	}
	out := make([]*pipeline.Error, len(c.list))
	for i, e := range c.list {
		out[i] = e.pipelineError()
	}
	return out
}
