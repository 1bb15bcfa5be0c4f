package udprules

// The second rule of the UDP guard breaks echo loops. One forged datagram
// between two echo servers makes each echo the other's echo forever; 20
// forged datagrams make 20 loops that interleave through the same peer. A
// loop shows as the same payload coming back from the same address and port
// again and again, so the table counts, per (address, port, payload hash),
// how often it arrived within a window; past the limit the datagram is not
// answered, and the loop is dead. A client that repeats one payload (a
// health checker) is answered as long as it stays under limit/window.
//
// The table has a fixed size (loopSets sets of two entries) and never
// grows: a flood of forged sources can only replace entries seen once, so
// it cannot wash out an entry that already repeats (a loop or a checker).

// loopSets is the number of sets of the loop table (a power of two).
const loopSets = 4096

type loopEntry struct {
	tag   uint64 // the key; 0 marks an empty entry
	start int64  // when the window began, ns on the guard's clock
	count int32  // arrivals in the window
}

// loopTable counts repeats of (address, port, payload). It is safe for
// concurrent use: each set is used under its stripe's lock (stripes.go).
type loopTable struct {
	locks  stripes
	sets   [][2]loopEntry
	limit  int32 // arrivals answered per window
	window int64 // ns
}

func newLoopTable(limit int, window int64) *loopTable {
	return &loopTable{sets: make([][2]loopEntry, loopSets), limit: int32(limit), window: window}
}

// loopTableBytes is the memory of the table's sets, allocated once.
const loopTableBytes = loopSets * 2 * 24

// arrive records one arrival of key at now and reports whether it is over
// the limit: a loop.
func (t *loopTable) arrive(key uint64, now int64) bool {
	tag, idx := max(key, 1), key>>52&(loopSets-1) // tag never 0
	defer t.locks.lock(idx).Unlock()
	set := &t.sets[idx]
	for i := range set {
		e := &set[i]
		if e.tag == tag && now-e.start < t.window {
			e.count = min(e.count+1, t.limit+1) // saturates
			return e.count > t.limit
		}
	}
	if e := t.victim(set, tag, now); e != nil {
		*e = loopEntry{tag: tag, start: now, count: 1}
	}
	return 1 > t.limit
}

// victim picks the entry a new key may take: its own expired entry, an
// empty or expired one, else the older of entries seen only once. Entries
// that repeat within their window are kept; the new key then goes
// uncounted this time.
func (t *loopTable) victim(set *[2]loopEntry, tag uint64, now int64) *loopEntry {
	var pick *loopEntry
	for i := range set {
		e := &set[i]
		switch {
		case e.tag == tag || e.tag == 0 || now-e.start >= t.window:
			return e
		case e.count == 1 && (pick == nil || e.start < pick.start):
			pick = e
		}
	}
	return pick
}
