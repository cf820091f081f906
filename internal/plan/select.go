package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gantry-ci/gantry/internal/suggest"
)

// Selection picks some jobs of a plan, as `gantry run --job` does.
type Selection struct {
	// Jobs are job names; a base name (`test`) selects all its parallel
	// or matrix instances.
	Jobs []string
	// Needs adds every job the selected ones need, transitively.
	Needs bool
	// OnlyNeeds keeps those needs but not the selected jobs themselves.
	OnlyNeeds bool
	// Stages select every job of these stages, beside Jobs.
	Stages []string
}

// Select returns a copy of p with only the selected jobs; edges to jobs
// left out are dropped, so a selected job no longer waits for them. An
// empty selection returns p itself.
func Select(p *Plan, s Selection) (*Plan, error) {
	if len(s.Jobs) == 0 && len(s.Stages) == 0 {
		return p, nil
	}
	byName := map[string]*Job{}
	for _, j := range p.Jobs {
		byName[j.Name] = j
	}
	picked := map[string]bool{}
	for _, name := range s.Jobs {
		found := false
		for _, j := range p.Jobs {
			if j.Name == name || j.Base == name {
				picked[j.Name] = true
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("job %q is not in this pipeline%s", name, nearestJob(p, name))
		}
	}
	for _, stage := range s.Stages {
		if !slices.Contains(p.Stages, stage) {
			return nil, fmt.Errorf("stage %q is not in this pipeline (stages: %s)", stage, strings.Join(p.Stages, ", "))
		}
		for _, j := range p.Jobs {
			if j.Stage == stage {
				picked[j.Name] = true
			}
		}
	}
	keep := map[string]bool{}
	for name := range picked {
		keep[name] = !s.OnlyNeeds
	}
	if s.Needs || s.OnlyNeeds {
		var visit func(j *Job)
		visit = func(j *Job) {
			for _, n := range j.Needs {
				if dep := byName[n.Job]; dep != nil && !keep[dep.Name] {
					keep[dep.Name] = true
					visit(dep)
				}
			}
		}
		for name := range picked {
			visit(byName[name])
		}
	}
	out := *p
	out.Jobs = nil
	for _, j := range p.Jobs {
		if !keep[j.Name] {
			continue
		}
		c := *j
		c.Needs = slices.DeleteFunc(slices.Clone(j.Needs), func(n Need) bool { return !keep[n.Job] })
		out.Jobs = append(out.Jobs, &c)
	}
	return &out, nil
}

// nearestJob suggests a job name close to name, for error messages.
func nearestJob(p *Plan, name string) string {
	names := make([]string, len(p.Jobs))
	for i, j := range p.Jobs {
		names[i] = j.Name
	}
	if s := suggest.Nearest(name, names); s != "" {
		return " (did you mean " + s + "?)"
	}
	return ""
}
