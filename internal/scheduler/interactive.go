package scheduler

import (
	"github.com/gantry-ci/gantry/internal/executor"
	"github.com/gantry-ci/gantry/internal/plan"
)

// gitlab-ci-local's @Interactive jobs get gantry's terminal (Config.Terminal)
// for their scripts. Two jobs writing to one terminal would garble it, and a
// prompt needs the user's whole attention, so such a job runs alone: once
// it is ready, nothing else starts, it waits for the running jobs to end,
// runs, and only then do other jobs start again. This lives in tryStart's
// slot check; the rest of the scheduling is unchanged.

// terminal is where j's steps are attached, nil for a job whose output is
// captured.
func (r *run) terminal(j *plan.Job) *executor.Terminal {
	if r.s.cfg.Terminal == nil || j.Spec == nil || !j.Spec.Decorators.Interactive {
		return nil
	}
	return r.s.cfg.Terminal
}

// mayStart reports whether job i may start now as far as jobs that run
// alone are concerned; when it says yes to such a job, that job is
// running alone from then on.
func (r *run) mayStart(i int, st *state) bool {
	if r.alone {
		return false
	}
	if r.waiting >= 0 && r.waiting != i {
		if w := r.states[r.waiting]; !w.started && !w.status.Final() {
			return false
		}
		r.waiting = -1
	}
	if r.terminal(st.job) == nil {
		return true
	}
	if r.running > 0 {
		r.waiting = i
		return false
	}
	r.waiting, r.alone = -1, true
	return true
}
