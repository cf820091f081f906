package scheduler

import "sync"

// Slots is a limit on jobs running at once that several runs draw from:
// gantry run's pipeline and its child pipelines share one, so that -j N
// holds for the whole run and not for each pipeline of it. It is safe for
// concurrent use.
//
// A run never blocks on Slots: its loop takes a slot when one is free
// and otherwise waits, with its other events, for one to be given back
// (released), so a run whose jobs wait for slots still reacts to a cancel.
type Slots struct {
	giveBack
	free int
}

// NewSlots returns n slots; n below 1 is 1.
func NewSlots(n int) *Slots {
	return &Slots{free: max(n, 1)}
}

// tryAcquire takes a slot if one is free.
func (s *Slots) tryAcquire() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.free == 0 {
		return false
	}
	s.free--
	return true
}

// release gives a slot back and wakes every run waiting for one.
func (s *Slots) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.free++
	s.wake()
}

// giveBack is what Slots and ResourceGroups share: the lock over their
// state, and the channel a run's loop waits on for something given back.
type giveBack struct {
	mu sync.Mutex
	// back is closed at the next give-back; nil when no one asked.
	back chan struct{}
}

// released returns a channel closed at the next give-back. Taken before a
// tryAcquire that fails, it cannot miss one in between.
func (g *giveBack) released() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.back == nil {
		g.back = make(chan struct{})
	}
	return g.back
}

// wake tells every run waiting that something was given back; mu is held.
func (g *giveBack) wake() {
	if g.back != nil {
		close(g.back)
		g.back = nil
	}
}
