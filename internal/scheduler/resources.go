package scheduler

import "sync"

// ResourceGroups are resource_group locks that several runs share: gantry
// run's pipeline and its child pipelines hold one set, so that two jobs
// of a group never run at once anywhere in the run. It is safe for
// concurrent use.
//
// Like Slots, a run never blocks on them: a job whose group is held waits
// (waiting_for_resource) while its run's loop listens, with its other
// events, for a group to be given back.
type ResourceGroups struct {
	mu   sync.Mutex
	held map[string]bool
	// back is closed, and replaced, when a group is given back.
	back chan struct{}
}

// NewResourceGroups returns a set of locks, all free.
func NewResourceGroups() *ResourceGroups {
	return &ResourceGroups{held: map[string]bool{}, back: make(chan struct{})}
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
	close(g.back)
	g.back = make(chan struct{})
}

// released returns a channel closed at the next release. Taken before a
// tryAcquire that fails, it cannot miss a group given back in between.
func (g *ResourceGroups) released() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.back
}
