package main

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// A gantry command is short and its live heap small (a few MB), so most of
// its garbage collections are wasted work: on a 20-job pipeline they were a
// tenth of the run. Collection therefore waits until the heap reaches
// quietLimit; if what survives a collection is ever more than half of that
// (a very large pipeline, a long server), the usual proportional pacing
// comes back for good, so a big live heap never makes the collector run
// back to back. GOGC or GOMEMLIMIT in the environment leave Go's defaults.
const quietLimit = 32 << 20

func tuneGC() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(quietLimit)
	watchLiveHeap()
}

// watchLiveHeap runs after each collection (through a finalizer re-armed
// every time) and restores proportional pacing once the live heap is
// large.
func watchLiveHeap() {
	sentinel := new([16]byte)
	runtime.SetFinalizer(sentinel, func(*[16]byte) {
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		metrics.Read(sample)
		if sample[0].Value.Kind() == metrics.KindUint64 && sample[0].Value.Uint64() > quietLimit/2 {
			debug.SetGCPercent(100)
			debug.SetMemoryLimit(math.MaxInt64)
			return
		}
		watchLiveHeap()
	})
}
