package scheduler

// ResourceGroups are resource_group locks that several runs share: gantry
// run's pipeline and its child pipelines hold one set, so that two jobs
// of a group never run at once anywhere in the run. It is safe for
// concurrent use.
//
// Like Slots, a run never blocks on them: a job whose group is held waits
// (waiting_for_resource) while its run's loop listens, with its other
// events, for a group to be given back.
type ResourceGroups struct {
	giveBack
	held map[string]bool
}

// NewResourceGroups returns a set of locks, all free.
func NewResourceGroups() *ResourceGroups {
	return &ResourceGroups{held: map[string]bool{}}
}

// isHeld reports whether group is taken.
func (g *ResourceGroups) isHeld(group string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.held[group]
}

// tryAcquire takes group if it is free.
func (g *ResourceGroups) tryAcquire(group string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.held[group] {
		return false
	}
	g.held[group] = true
	return true
}

// release gives group back and wakes every run waiting for one.
func (g *ResourceGroups) release(group string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.held, group)
	g.wake()
}
