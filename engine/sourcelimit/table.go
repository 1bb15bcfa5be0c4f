package sourcelimit

import "sync"

// shardCount shards (a power of two) keep gnet's loops (at most 4 per CPU)
// from meeting on one lock.
const (
	shardBits  = 6
	shardCount = 1 << shardBits
)

// window is how many slots, from the one its hash picks, a source may
// occupy: 16 slots of 32 bytes are 8 cache lines read in order.
const window = 16

// entry is one source's state, 32 bytes.
type entry struct {
	key     uint64 // the source's key; 0: empty
	tat     int64  // when its rate bucket is full again (GCRA's theoretical arrival time)
	logNext int64  // the earliest time ShouldLog says yes again
	open    int32  // connections open (counted only when the cap is on)
	_       int32
}

// stale is true when e holds nothing worth keeping at now: it may be
// given to another source.
func (e *entry) stale(now int64) bool {
	return e.key == 0 || e.open == 0 && e.tat <= now && e.logNext <= now
}

// shard is one lock and its part of the table, padded to a cache line so
// that two shards' locks never share one.
type shard struct {
	mu          sync.Mutex
	overflowLog int64 // logNext of the sources that found no slot
	slots       []entry
	_           [24]byte
}

// slot looks for key in the window at start: it returns the source's
// entry, or claims one for it (a stale slot, else if evict an idle one
// whose bucket is nearest full), or returns nil. The caller holds s.mu.
func (s *shard) slot(key, start, mask uint64, now int64, evict bool) *entry {
	var free, idle *entry
	for i := range uint64(window) {
		e := &s.slots[(start+i)&mask]
		switch {
		case e.key == key:
			return e
		case free == nil && e.stale(now):
			free = e
		case e.open == 0 && (idle == nil || e.tat < idle.tat):
			idle = e
		}
	}
	if free == nil && evict {
		free = idle
	}
	if free != nil {
		*free = entry{key: key}
	}
	return free
}

// find returns key's entry in the window at start, or nil. The caller
// holds s.mu.
func (s *shard) find(key, start, mask uint64) *entry {
	for i := range uint64(window) {
		if e := &s.slots[(start+i)&mask]; e.key == key {
			return e
		}
	}
	return nil
}
