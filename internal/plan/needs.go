package plan

import (
	"fmt"

	"github.com/gantry-ci/gantry/internal/pipeline"
)

// resolveEdges fills Needs and Dependencies of every kept job. Explicit
// needs name jobs after matrix expansion (a matrix job's name means all
// its instances); optional needs on jobs absent from this pipeline are
// dropped, other absent needs are an error, as in GitLab. A job without
// needs: waits for every job of earlier stages.
func (ev *evaluator) resolveEdges(kept []*pending) error {
	byName := make(map[string]*Job, len(kept))
	for _, pj := range kept {
		byName[pj.job.Name] = pj.job
	}
	for _, pj := range kept {
		j := pj.job
		var needNames map[string]bool
		if pj.needs == nil {
			j.Implicit = true
			for _, other := range kept {
				if other.job.StageIndex < j.StageIndex {
					j.Needs = append(j.Needs, Need{Job: other.job.Name, Artifacts: true})
				}
			}
		} else {
			j.Needs = []Need{}
			needNames = map[string]bool{}
			seen := map[string]int{}
			for _, n := range pj.needs {
				if n.Pipeline != "" || n.Project != "" {
					continue // cross-pipeline needs are parsed, not run
				}
				names, err := ev.needTargets(j, n)
				if err != nil {
					return err
				}
				for _, name := range names {
					needNames[name] = true
					if byName[name] == nil {
						if n.Optional {
							continue
						}
						return &Error{Pos: needPos(n, j), Job: j.Name,
							Msg:  fmt.Sprintf("needs %q, but %q does not exist in the pipeline", name, name),
							Hint: "this might be because of only, except or rules; to need a job that sometimes does not exist, use needs:optional"}
					}
					if i, dup := seen[name]; dup {
						j.Needs[i].Artifacts = j.Needs[i].Artifacts || n.Artifacts
						continue
					}
					seen[name] = len(j.Needs)
					j.Needs = append(j.Needs, Need{Job: name, Artifacts: n.Artifacts, Optional: n.Optional})
				}
			}
		}
		deps, err := ev.dependencies(pj, byName, needNames)
		if err != nil {
			return err
		}
		j.Dependencies = deps
	}
	return nil
}

// needTargets expands one need to job names of the file (not only of
// this pipeline), checking that they are defined and not in a later
// stage. An optional need on an undefined job expands to nothing.
func (ev *evaluator) needTargets(j *Job, n pipeline.Need) ([]string, error) {
	insts, ok := ev.static[n.Job]
	if !ok {
		if n.Optional {
			return nil, nil
		}
		return nil, &Error{Pos: needPos(n, j), Job: j.Name, Msg: fmt.Sprintf("needs %q, which is not defined", n.Job),
			Hint: "check the job name; hidden jobs (starting with .) cannot be needed"}
	}
	var names []string
	if n.Matrix != nil {
		names = selectInstances(insts, n.Matrix)
		if len(names) == 0 && !n.Optional {
			return nil, &Error{Pos: needPos(n, j), Job: j.Name, Msg: fmt.Sprintf("needs:parallel:matrix selects no instance of %q", n.Job),
				Hint: "the variables and values must be those of one of its parallel:matrix combinations"}
		}
	} else {
		for _, in := range insts {
			names = append(names, in.name)
		}
	}
	if len(insts) > 0 && insts[0].stageIndex > j.StageIndex {
		return nil, &Error{Pos: needPos(n, j), Job: j.Name,
			Msg:  fmt.Sprintf("needs %q, which is in a later stage (%s)", n.Job, ev.stages[insts[0].stageIndex]),
			Hint: "a job can only need jobs of its own or earlier stages"}
	}
	return names, nil
}

// dependencies is the list of jobs whose artifacts j restores:
// dependencies: when given (matrix names expanded; jobs absent from this
// pipeline skipped, as GitLab does, and noted in MissingDependencies; with
// needs:, only those needed with artifacts, so none with needs: []), else the
// needs that take artifacts, else every job of earlier stages.
func (ev *evaluator) dependencies(pj *pending, byName map[string]*Job, needNames map[string]bool) ([]string, error) {
	j := pj.job
	spec := pj.inst.spec
	if spec.Dependencies == nil {
		deps := make([]string, 0, len(j.Needs))
		for _, n := range j.Needs {
			if n.Artifacts {
				deps = append(deps, n.Job)
			}
		}
		return deps, nil
	}
	withArtifacts := map[string]bool{}
	for _, n := range j.Needs {
		withArtifacts[n.Job] = n.Artifacts
	}
	deps := make([]string, 0, len(spec.Dependencies))
	for _, name := range spec.Dependencies {
		insts, ok := ev.static[name]
		if !ok {
			return nil, &Error{Pos: spec.Pos, Job: j.Name, Msg: fmt.Sprintf("dependencies: %q is not defined", name),
				Hint: "dependencies name jobs of earlier stages"}
		}
		if insts[0].stageIndex > j.StageIndex {
			return nil, &Error{Pos: spec.Pos, Job: j.Name, Msg: fmt.Sprintf("dependencies: %q is in a later stage", name),
				Hint: "dependencies name jobs of earlier stages"}
		}
		for _, in := range insts {
			if needNames != nil && !needNames[in.name] {
				if len(needNames) == 0 {
					// needs: [] waits for nothing and restores nothing; GitLab
					// checks dependencies against needs only when it lists jobs.
					continue
				}
				return nil, &Error{Pos: spec.Pos, Job: j.Name, Msg: fmt.Sprintf("dependencies: %q should be part of needs", in.name),
					Hint: "with needs:, every dependency must also be needed"}
			}
			if needNames != nil && byName[in.name] != nil && !withArtifacts[in.name] {
				continue // GitLab takes dependencies among the needs with artifacts: true
			}
			if byName[in.name] != nil {
				deps = append(deps, in.name)
			} else {
				j.MissingDependencies = append(j.MissingDependencies, in.name)
			}
		}
	}
	return deps, nil
}

func needPos(n pipeline.Need, j *Job) pipeline.Pos {
	if n.Pos.Line != 0 {
		return n.Pos
	}
	return j.Spec.Pos
}
