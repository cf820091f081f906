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
	mu   sync.Mutex
	free int
	// back is closed, and replaced, when a slot is given back.
	back chan struct{}
}

// NewSlots returns n slots; n below 1 is 1.
func NewSlots(n int) *Slots {
	return &Slots{free: max(n, 1), back: make(chan struct{})}
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
	close(s.back)
	s.back = make(chan struct{})
}

// released returns a channel closed at the next release. Taken before a
// tryAcquire that fails, it cannot miss a slot given back in between.
func (s *Slots) released() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.back
}
