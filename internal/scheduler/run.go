package scheduler

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gantry-ci/gantry/internal/pipeline"
	"github.com/gantry-ci/gantry/internal/plan"
)

// state is the scheduler's view of one job during a run. Only the run
// loop's goroutine touches it.
type state struct {
	job   *plan.Job
	needs []int
	// explicit: the job has needs: of its own (not the stage order).
	explicit bool
	status   Status
	started  bool // handed to a worker or a timer
	res      JobResult
	// failedUp: counts as a failure for on_success/on_failure downstream
	// (the job failed, or was skipped because something before it failed).
	failedUp bool
	// blocked: a manual job with allow_failure: false that was not played
	// is upstream; the pipeline stops there, as GitLab's "blocked".
	blocked string
}

// outcome is what a worker reports to the run loop, which alone updates
// job states.
type outcome struct {
	index int
	res   JobResult
}

// run is one pipeline run.
type run struct {
	s      *Scheduler
	plan   *plan.Plan
	id     string
	states []*state
	ev     *emitter

	running int
	// slots limit the jobs running at once, shared with other runs
	// (child pipelines) when Config.Slots is set; starved is set when a
	// pending job found none free in the last pass.
	slots   *Slots
	starved bool
	// groups are the resource_group locks, shared with other runs when
	// Config.ResourceGroups is set; groupWait is set when a pending job
	// found its group held in the last pass.
	groups    *ResourceGroups
	groupWait bool
	done      chan outcome // a job whose worker finished
	wake      chan int     // index of a delayed job whose time has come
	timers    map[int]*time.Timer
	canceled  bool
	// alone is set while a job that must run alone (interactive.go)
	// runs; waiting is the index of one that waits for the others to
	// end, -1 if none. Nothing else starts meanwhile.
	alone   bool
	waiting int
}

func newRun(s *Scheduler, p *plan.Plan) (*run, error) {
	id := s.cfg.PipelineID
	if id == "" {
		id = time.Now().UTC().Format("20060102-150405.000")
	}
	slots := s.cfg.Slots
	if slots == nil {
		slots = NewSlots(s.cfg.Concurrency)
	}
	groups := s.cfg.ResourceGroups
	if groups == nil {
		groups = NewResourceGroups()
	}
	r := &run{
		s: s, plan: p, id: id, slots: slots, groups: groups,
		ev:   &emitter{fn: s.cfg.OnEvent, pipeline: id},
		done: make(chan outcome),
		// Buffered so a timer that fires as the run is canceled never blocks.
		wake:    make(chan int, len(p.Jobs)),
		timers:  map[int]*time.Timer{},
		waiting: -1,
	}
	index := map[string]int{}
	for i, j := range p.Jobs {
		if _, dup := index[j.Name]; dup {
			return nil, fmt.Errorf("plan: job %q appears twice", j.Name)
		}
		index[j.Name] = i
	}
	for _, j := range p.Jobs {
		st := &state{job: j, explicit: !j.Implicit, res: JobResult{Name: j.Name, Stage: j.Stage, ExitCode: -1}}
		for _, n := range j.Needs {
			k, ok := index[n.Job]
			if !ok {
				if n.Optional {
					continue
				}
				return nil, fmt.Errorf("plan: job %q needs %q, which is not in the pipeline", j.Name, n.Job)
			}
			st.needs = append(st.needs, k)
		}
		r.states = append(r.states, st)
	}
	if err := r.checkCycle(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *run) checkCycle() error {
	const (
		unseen = iota
		visiting
		done
	)
	mark := make([]int, len(r.states))
	var visit func(i int) error
	visit = func(i int) error {
		switch mark[i] {
		case visiting:
			return fmt.Errorf("plan: needs form a cycle through %q", r.states[i].job.Name)
		case done:
			return nil
		}
		mark[i] = visiting
		for _, k := range r.states[i].needs {
			if err := visit(k); err != nil {
				return err
			}
		}
		mark[i] = done
		return nil
	}
	for i := range r.states {
		if err := visit(i); err != nil {
			return err
		}
	}
	return nil
}

func (r *run) run(ctx context.Context) *Result {
	start := time.Now()
	r.ev.emit(Event{Kind: KindPipelineCreated, Time: start, Stages: r.plan.Stages, Status: StatusCreated})
	for _, st := range r.states {
		r.ev.emit(Event{Kind: KindJobCreated, Job: st.job.Name, Stage: st.job.Stage, StageIndex: st.job.StageIndex,
			When: effectiveWhen(st.job), Status: StatusCreated, ExitCode: -1})
	}
	for {
		if ctx.Err() != nil && !r.canceled {
			r.cancelWaiting()
		}
		// Taken before the passes: a slot or group given back during
		// them still wakes the loop.
		freed, groupFreed := r.slots.released(), r.groups.released()
		r.starved, r.groupWait = false, false
		for !r.canceled && r.schedule(ctx) {
			// A decision can make an earlier job in plan order ready
			// (needs within a stage point forward too): pass again.
		}
		if r.running == 0 && len(r.timers) == 0 && !r.starved && !r.groupWait {
			break
		}
		if !r.starved {
			freed = nil
		}
		if !r.groupWait {
			groupFreed = nil
		}
		select {
		case o := <-r.done:
			r.running--
			r.alone = false
			st := r.states[o.index]
			st.res = o.res
			st.status = o.res.Status
			st.failedUp = o.res.Status == StatusFailed
		case i := <-r.wake:
			if _, ok := r.timers[i]; ok {
				delete(r.timers, i)
				r.states[i].started = false
				r.setStatus(r.states[i], StatusPending)
			}
		case <-ctxDone(ctx, r.canceled):
		case <-freed:
		case <-groupFreed:
		}
	}
	// Anything left (only possible after a cancel) ends as canceled.
	for _, st := range r.states {
		if !st.status.Final() {
			r.finishUnstarted(st, StatusCanceled, "pipeline canceled")
		}
	}
	res := &Result{Pipeline: r.id, Started: start, Duration: time.Since(start), Status: StatusSuccess}
	for _, st := range r.states {
		res.Jobs = append(res.Jobs, st.res)
		if st.status == StatusFailed && res.Status == StatusSuccess {
			res.Status = StatusFailed
		}
	}
	if r.canceled {
		res.Status = StatusCanceled
	}
	r.ev.emit(Event{Kind: KindPipelineFinished, Status: res.Status, StartedAt: start, Duration: res.Duration, ExitCode: -1})
	return res
}

// ctxDone returns ctx.Done() until the run has reacted to the cancel, then
// nil so the loop only waits for workers.
func ctxDone(ctx context.Context, handled bool) <-chan struct{} {
	if handled {
		return nil
	}
	return ctx.Done()
}

// cancelWaiting cancels every job that is not running; running jobs see
// the canceled ctx themselves.
func (r *run) cancelWaiting() {
	r.canceled = true
	for i, t := range r.timers {
		t.Stop()
		delete(r.timers, i)
		r.states[i].started = false
	}
	for _, st := range r.states {
		if !st.started && !st.status.Final() {
			r.finishUnstarted(st, StatusCanceled, "pipeline canceled")
		}
	}
}

// schedule decides every job whose needs are all final, and starts those
// that may run while slots and resource groups allow, in plan order. It
// reports whether any job reached a final status, which may unblock others.
func (r *run) schedule(ctx context.Context) (changed bool) {
	for i, st := range r.states {
		if st.started || st.status.Final() || !r.needsFinal(st) {
			continue
		}
		if st.status == StatusCreated && !r.decide(i, st) {
			changed = true
			continue
		}
		if st.status == StatusScheduled {
			continue // its timer moves it to pending
		}
		r.tryStart(ctx, i, st)
	}
	return changed
}

func (r *run) needsFinal(st *state) bool {
	for _, k := range st.needs {
		if !r.states[k].status.Final() {
			return false
		}
	}
	return true
}

// decide applies when: to a job whose needs are final. It returns true if
// the job is to run (now or, for delayed jobs, after its timer).
func (r *run) decide(i int, st *state) bool {
	j := st.job
	var failed, blocked, notRun string
	for _, k := range st.needs {
		n := r.states[k]
		switch {
		case n.blocked != "":
			blocked = n.blocked
		case n.failedUp && failed == "":
			failed = n.job.Name
		case n.status == StatusManual && blocking(n.job):
			blocked = n.job.Name
		case st.explicit && !n.status.Passed() && notRun == "":
			notRun = n.job.Name
		}
	}
	if blocked != "" {
		st.blocked = blocked
		r.finishUnstarted(st, StatusSkipped, fmt.Sprintf("blocked by manual job %s", blocked))
		return false
	}
	when := effectiveWhen(j)
	switch when {
	case pipeline.WhenNever:
		r.finishUnstarted(st, StatusSkipped, "when: never")
		return false
	case pipeline.WhenAlways:
		return r.ready(i, st, 0)
	case pipeline.WhenOnFailure:
		if failed == "" {
			r.finishUnstarted(st, StatusSkipped, "when: on_failure and nothing failed")
			return false
		}
		return r.ready(i, st, 0)
	}
	// on_success, manual, delayed.
	if failed != "" {
		st.failedUp = true
		r.finishUnstarted(st, StatusSkipped, fmt.Sprintf("needs %s, which failed", failed))
		return false
	}
	if notRun != "" {
		r.finishUnstarted(st, StatusSkipped, fmt.Sprintf("needs %s, which did not run", notRun))
		return false
	}
	switch when {
	case pipeline.WhenManual:
		if !r.s.manual[j.Name] {
			r.finishUnstarted(st, StatusManual, "manual job not played")
			return false
		}
	case pipeline.WhenDelayed:
		return r.ready(i, st, j.StartIn)
	}
	return r.ready(i, st, 0)
}

// ready marks a job as able to run, after delay if positive. A trigger:
// job whose pipeline is not run (multi-project, or no
// Config.Downstream) ends here, skipped with the reason: a job that
// passed without doing anything would say it was.
func (r *run) ready(i int, st *state, delay time.Duration) bool {
	if reason := r.triggerReason(st.job); reason != "" {
		r.finishUnstarted(st, StatusSkipped, reason)
		return false
	}
	if g := resourceGroup(st.job); g != "" && slices.Contains(r.s.cfg.HeldResourceGroups, g) {
		r.failUnstarted(st, fmt.Sprintf("resource_group %s is held by the trigger job of this child pipeline, "+
			"which waits for it: the job could never start (use another resource group for one of them)", g))
		return false
	}
	if delay <= 0 {
		r.setStatus(st, StatusPending)
		return true
	}
	r.setStatus(st, StatusScheduled)
	st.started = true // owned by the timer until it fires
	r.timers[i] = time.AfterFunc(delay, func() { r.wake <- i })
	return true
}

// tryStart starts a pending job if a slot and its resource group are free.
// A trigger: job whose child pipeline this run runs takes no slot: it
// only waits, while the child's jobs take theirs from the same Slots
// (with one slot, a trigger job holding it would starve its child).
func (r *run) tryStart(ctx context.Context, i int, st *state) {
	g := resourceGroup(st.job)
	if g != "" && r.groups.isHeld(g) {
		r.groupWait = true
		r.setStatus(st, StatusWaitingForResource)
		return
	}
	if !r.mayStart(i, st) {
		r.setStatus(st, StatusPending)
		return
	}
	slot := !r.runsDownstream(st.job)
	if slot && !r.slots.tryAcquire() {
		if r.alone {
			// mayStart let this job run alone: it is the one waiting now.
			r.alone, r.waiting = false, i
		}
		r.starved = true
		r.setStatus(st, StatusPending)
		return
	}
	if g != "" && !r.groups.tryAcquire(g) {
		// Another run took it since isHeld: rare, so the slot goes
		// back rather than being held while waiting.
		if slot {
			r.slots.release()
		}
		if r.alone {
			r.alone, r.waiting = false, i
		}
		r.groupWait = true
		r.setStatus(st, StatusWaitingForResource)
		return
	}
	st.started = true
	r.running++
	job := st.job
	go func() {
		res := r.execute(ctx, job)
		if g != "" {
			r.groups.release(g)
		}
		if slot {
			r.slots.release()
		}
		r.done <- outcome{index: i, res: res}
	}()
}

// setStatus records a non-final status change and reports it once.
func (r *run) setStatus(st *state, s Status) {
	if st.status == s {
		return
	}
	st.status = s
	r.ev.emit(Event{Kind: KindJobStatus, Job: st.job.Name, Stage: st.job.Stage, StageIndex: st.job.StageIndex, Status: s, ExitCode: -1})
}

// finishUnstarted ends a job that never ran.
func (r *run) finishUnstarted(st *state, s Status, reason string) {
	st.status = s
	st.res.Status = s
	st.res.Reason = reason
	r.ev.emit(Event{Kind: KindJobStatus, Job: st.job.Name, Stage: st.job.Stage, StageIndex: st.job.StageIndex,
		Status: s, Reason: reason, ExitCode: -1})
}

// failUnstarted ends a job that cannot run as failed (a warning if it
// may fail).
func (r *run) failUnstarted(st *state, reason string) {
	s := StatusFailed
	if allowedFailure(st.job, AttemptResult{Status: StatusFailed, ExitCode: -1}) {
		s = StatusWarning
	}
	st.failedUp = s == StatusFailed
	st.res.Failure = FailureUnknown
	r.finishUnstarted(st, s, reason)
}

// effectiveWhen is the job's when:, on_success when unset.
func effectiveWhen(j *plan.Job) pipeline.When {
	if j.When == pipeline.WhenUnset {
		return pipeline.WhenOnSuccess
	}
	return j.When
}

// blocking reports whether a manual job holds up what follows it until it
// is played: only with an explicit allow_failure: false (GitLab's default
// for when: manual is allow_failure: true).
func blocking(j *plan.Job) bool {
	return j.AllowFailure.Set && !j.AllowFailure.Allowed && len(j.AllowFailure.ExitCodes) == 0
}

func resourceGroup(j *plan.Job) string {
	if j.Spec == nil {
		return ""
	}
	return strings.TrimSpace(j.Spec.ResourceGroup)
}
