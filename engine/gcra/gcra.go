// Package gcra is a token bucket kept as the generic cell rate algorithm:
// a bucket is one int64, its "theoretical arrival time" (when it is full
// again), so a table of buckets is a table of integers and spending is a
// few integer operations. It owns no buckets: callers keep them (the UDP
// reply budget, the per-source connection rate) where their tables need
// them, and spend them through one Rate.
package gcra

// Rate is one event per interval, after a burst; the zero Rate is off.
type Rate struct {
	interval  int64 // ns per event
	tolerance int64 // burst * interval: how far a bucket's time may run ahead of now
}

// Every is the Rate of one event per interval ns (at least 1) after a
// burst of burst events.
func Every(interval int64, burst int) Rate {
	interval = max(interval, 1)
	return Rate{interval: interval, tolerance: interval * int64(burst)}
}

// On reports whether r limits anything.
func (r Rate) On() bool { return r.interval > 0 }

// Spend takes one event from the bucket tat at now (ns on the caller's
// clock); it reports false, spending nothing, when the bucket is empty.
func (r Rate) Spend(tat *int64, now int64) bool {
	next := max(*tat, now) + r.interval
	if next-now > r.tolerance {
		return false
	}
	*tat = next
	return true
}
