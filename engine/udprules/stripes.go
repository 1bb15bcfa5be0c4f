package udprules

import "sync"

// A Guard is shared by every loop that serves one address (README "UDP on
// every core"), so its tables are used concurrently. Each table guards its
// sets with a row of striped locks: set i is held by stripe i mod
// numStripes, so two loops contend only when their datagrams fall into sets
// of the same stripe (one in 256), and an uncontended lock costs two atomic
// operations (BenchmarkGuardCheck: single against shared).

// numStripes is the number of locks of one table (a power of two that
// divides the number of sets).
const numStripes = 256

// stripe is one lock, alone on its cache line so that loops taking
// neighbouring locks do not slow each other down.
type stripe struct {
	sync.Mutex
	_ [64 - 8]byte
}

// stripes is the lock row of one table.
type stripes [numStripes]stripe

// lock locks the stripe of set idx and returns it, for a deferred Unlock.
func (s *stripes) lock(idx uint64) *stripe {
	st := &s[idx&(numStripes-1)]
	st.Lock()
	return st
}
