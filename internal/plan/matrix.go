package plan

import (
	"strconv"
	"strings"

	"github.com/gantry-ci/gantry/internal/pipeline"
)

// instance is one job a file's job expands to.
type instance struct {
	name       string
	matrix     []Variable
	node       int
	total      int
	parallel   bool
	spec       *pipeline.Job
	stageIndex int
}

// instances expands parallel: N into "job 1/N"... and parallel:matrix
// into one job per combination, named "job: [v1, v2]" with the values in
// key order; every combination of an entry, the first key varying
// slowest, as GitLab's matrix strategy builds them.
func instances(j *pipeline.Job) []instance {
	p := j.Parallel
	if p == nil || (p.Count <= 0 && len(p.Matrix) == 0) {
		return []instance{{name: j.Name, spec: j}}
	}
	if len(p.Matrix) == 0 {
		out := make([]instance, p.Count)
		for i := range out {
			out[i] = instance{
				name: j.Name + " " + strconv.Itoa(i+1) + "/" + strconv.Itoa(p.Count),
				node: i + 1, total: p.Count, parallel: true, spec: j,
			}
		}
		return out
	}
	var combos [][]Variable
	for _, entry := range p.Matrix {
		combos = append(combos, combinations(entry)...)
	}
	out := make([]instance, len(combos))
	for i, vars := range combos {
		out[i] = instance{name: MatrixName(j.Name, vars), matrix: vars, node: i + 1, total: len(combos), parallel: true, spec: j}
	}
	return out
}

// combinations is the cartesian product of one matrix entry's values.
func combinations(entry pipeline.MatrixEntry) [][]Variable {
	combos := [][]Variable{nil}
	for _, mv := range entry {
		values := mv.Values
		if len(values) == 0 {
			values = []string{""}
		}
		next := make([][]Variable, 0, len(combos)*len(values))
		for _, c := range combos {
			for _, v := range values {
				n := make([]Variable, len(c), len(c)+1)
				copy(n, c)
				next = append(next, append(n, Variable{Name: mv.Name, Value: v}))
			}
		}
		combos = next
	}
	return combos
}

// MatrixName is GitLab's name for a matrix instance: "build: [aws, app1]".
func MatrixName(job string, vars []Variable) string {
	values := make([]string, len(vars))
	for i, v := range vars {
		values[i] = v.Value
	}
	return job + ": [" + strings.Join(values, ", ") + "]"
}

// selectInstances returns the names of the instances of insts that a
// needs:parallel:matrix selector picks: those whose matrix variables are
// exactly one of the selector's combinations (order of keys free).
func selectInstances(insts []instance, sel []pipeline.MatrixEntry) []string {
	var names []string
	for _, entry := range sel {
		for _, combo := range combinations(entry) {
			for _, in := range insts {
				if sameVars(in.matrix, combo) {
					names = append(names, in.name)
				}
			}
		}
	}
	return names
}

func sameVars(a, b []Variable) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		found := false
		for _, y := range b {
			if x.Name == y.Name && x.Value == y.Value {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
