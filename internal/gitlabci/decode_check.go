package gitlabci

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gantry-ci/gantry/internal/pipeline"
)

// crossCheck makes the checks that involve several jobs: stages exist,
// needs and dependencies point at jobs that can provide them, no cycles.
func (d *decoder) crossCheck(p *pipeline.Pipeline, jobs []*decodedJob) {
	stageIndex := map[string]int{}
	for i, s := range p.Stages {
		stageIndex[s] = i
	}
	byName := map[string]*pipeline.Job{}
	var names []string
	for _, dj := range jobs {
		byName[dj.job.Name] = dj.job
		names = append(names, dj.job.Name)
	}
	for _, dj := range jobs {
		j := dj.job
		if _, ok := stageIndex[j.Stage]; !ok {
			pos := dj.stagePos
			if pos.Line == 0 {
				pos = j.Pos
			}
			hint := didYouMean(j.Stage, p.Stages, "add it to stages: ("+strings.Join(p.Stages[1:len(p.Stages)-1], ", ")+")")
			d.errorf(pos, hint, "job %q: stage %q is not declared in stages:", j.Name, j.Stage)
		}
	}
	check := func(j *pipeline.Job, needs []pipeline.Need) {
		for _, n := range needs {
			if n.Pipeline != "" || n.Project != "" || n.Job == "" {
				continue
			}
			t := byName[n.Job]
			if t == nil {
				if n.Optional {
					continue
				}
				otherwise := "add optional: true if the job may be absent"
				if strings.HasPrefix(n.Job, ".") {
					otherwise = "hidden jobs (.name) don't run; need a visible job"
				}
				hint := didYouMean(n.Job, names, otherwise)
				d.errorf(n.Pos, hint, "job %q needs %q, which is not a job of this pipeline", j.Name, n.Job)
				continue
			}
			si, ok1 := stageIndex[j.Stage]
			ti, ok2 := stageIndex[t.Stage]
			if ok1 && ok2 && ti > si {
				d.errorf(n.Pos, "a job can only need jobs of its own or earlier stages", "job %q (stage %s) needs %q, which is in the later stage %s", j.Name, j.Stage, n.Job, t.Stage)
			}
			if n.Matrix != nil && (t.Parallel == nil || t.Parallel.Matrix == nil) {
				d.errorf(n.Pos, "remove parallel:matrix from the need, or give the job a matrix", "job %q needs a matrix instance of %q, which has no parallel:matrix", j.Name, n.Job)
			}
		}
	}
	for _, dj := range jobs {
		j := dj.job
		check(j, j.Needs)
		for _, r := range j.Rules {
			check(j, r.Needs)
		}
		d.checkDependencies(dj, byName, stageIndex, names)
		if e := j.Environment; e != nil && e.OnStop != "" && byName[e.OnStop] == nil {
			d.errorf(e.Pos, "name a job of this pipeline", "job %q: environment:on_stop job %q does not exist", j.Name, e.OnStop)
		}
	}
	d.checkCycles(jobs, byName)
}

func (d *decoder) checkDependencies(dj *decodedJob, byName map[string]*pipeline.Job, stageIndex map[string]int, names []string) {
	j := dj.job
	for i, dep := range j.Dependencies {
		pos := dj.deps[i].pos
		t := byName[dep]
		if t == nil {
			d.errorf(pos, didYouMean(dep, names, ""), "job %q depends on %q, which is not a job of this pipeline", j.Name, dep)
			continue
		}
		si, ok1 := stageIndex[j.Stage]
		ti, ok2 := stageIndex[t.Stage]
		if ok1 && ok2 && ti >= si && j.Needs == nil {
			d.errorf(pos, "dependencies can only name jobs of earlier stages", "job %q (stage %s) depends on %q, which is in stage %s", j.Name, j.Stage, dep, t.Stage)
		}
		// GitLab checks dependencies against needs only when needs: lists
		// jobs: with needs: [] the job waits for nothing and, its needs
		// being empty, downloads no artifacts whatever dependencies: says.
		if len(j.Needs) > 0 && !slices.ContainsFunc(j.Needs, func(n pipeline.Need) bool { return n.Job == dep }) {
			d.errorf(pos, "add it to needs: too", "job %q depends on %q, which is not in its needs:", j.Name, dep)
		}
	}
}

// checkCycles reports each needs cycle once, with its path.
func (d *decoder) checkCycles(jobs []*decodedJob, byName map[string]*pipeline.Job) {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var stack []string
	var visit func(j *pipeline.Job)
	visit = func(j *pipeline.Job) {
		color[j.Name] = grey
		stack = append(stack, j.Name)
		for _, n := range j.Needs {
			t := byName[n.Job]
			if t == nil || n.Pipeline != "" || n.Project != "" {
				continue
			}
			switch color[t.Name] {
			case grey:
				i := slices.Index(stack, t.Name)
				cycle := append(slices.Clone(stack[i:]), t.Name)
				d.errorf(n.Pos, "remove one of these needs", "needs cycle: %s", strings.Join(quoteAll(cycle), " -> "))
			case white:
				visit(t)
			}
		}
		stack = stack[:len(stack)-1]
		color[j.Name] = black
	}
	for _, dj := range jobs {
		if color[dj.job.Name] == white {
			visit(dj.job)
		}
	}
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = fmt.Sprintf("%q", x)
	}
	return out
}
