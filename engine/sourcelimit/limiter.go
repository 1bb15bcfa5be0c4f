package sourcelimit

import (
	"math/bits"
	"math/rand/v2"
	"net/netip"
	"unsafe"

	"github.com/echo-activation/echo-server/engine/gcra"
)

// Limiter holds the per-source state. A nil *Limiter limits nothing and
// logs nothing.
type Limiter struct {
	shards      [shardCount]shard
	mask        uint64 // slots per shard - 1
	seed        uint64
	masks       masks
	perSource   int32
	rate        gcra.Rate // new connections per source; the zero Rate: no rate limit
	logInterval int64
}

// New allocates the table; it is all the memory the Limiter will use.
func New(c Config) (*Limiter, error) {
	c, err := c.withDefaults()
	if err != nil {
		return nil, err
	}
	perShard := 1 << bits.Len(uint(max((c.Entries+shardCount-1)/shardCount, window)-1))
	l := &Limiter{
		mask: uint64(perShard - 1), seed: rand.Uint64(), masks: newMasks(c.IPv4Prefix, c.IPv6Prefix),
		perSource: int32(c.PerSource), logInterval: int64(c.LogInterval),
	}
	if c.Rate > 0 {
		l.rate = gcra.Every(int64(1e9/c.Rate), c.Burst)
	}
	for i := range l.shards {
		l.shards[i].slots = make([]entry, perShard)
	}
	return l, nil
}

// Bytes is the Limiter's memory: the table and its shards' headers. It
// does not change after New.
func (l *Limiter) Bytes() int {
	return int(unsafe.Sizeof(*l)) + shardCount*len(l.shards[0].slots)*int(unsafe.Sizeof(entry{}))
}

// Acquire admits a new connection from src at now, or refuses it and says
// why. Every admitted connection must be matched by one Release(src) when
// it closes; a refused one must not be. An invalid src (a unix or vsock
// peer has no IP address) is always admitted.
func (l *Limiter) Acquire(src netip.Addr, now int64) (ok bool, reason Reason) {
	if l == nil || !src.IsValid() {
		return true, Admitted
	}
	key, loopback := l.masks.key(src)
	rate := l.rate.On() && !loopback
	if l.perSource == 0 && !rate {
		return true, Admitted
	}
	s, start := l.locate(key)
	s.mu.Lock()
	reason = l.admit(s.slot(key, start, l.mask, now, true), now, rate)
	s.mu.Unlock()
	return reason == Admitted, reason
}

// admit applies the cap and the rate to e (nil: no slot) and counts the
// connection if both allow it. A refusal spends nothing.
func (l *Limiter) admit(e *entry, now int64, rate bool) Reason {
	switch {
	case e == nil:
		return TableFull
	case l.perSource > 0 && e.open >= l.perSource:
		return PerSource
	}
	if rate && !l.rate.Spend(&e.tat, now) {
		return Rate
	}
	if l.perSource > 0 {
		e.open++
	}
	return Admitted
}

// Release ends a connection that Acquire admitted from src.
func (l *Limiter) Release(src netip.Addr) {
	if l == nil || l.perSource == 0 || !src.IsValid() {
		return
	}
	key, _ := l.masks.key(src)
	s, start := l.locate(key)
	s.mu.Lock()
	if e := s.find(key, start, l.mask); e != nil && e.open > 0 {
		e.open--
	}
	s.mu.Unlock()
}

// ShouldLog reports whether a line about src may be logged at now, at most
// once per LogInterval per source, and if so takes the turn. Sources the
// table has no free slot for share one turn per shard.
func (l *Limiter) ShouldLog(src netip.Addr, now int64) bool {
	if l == nil {
		return false
	}
	var key uint64
	if src.IsValid() {
		key, _ = l.masks.key(src)
	}
	s, start := l.locate(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	next := &s.overflowLog
	if e := s.slot(key, start, l.mask, now, false); e != nil && key != 0 {
		next = &e.logNext
	}
	if *next > now {
		return false
	}
	*next = now + l.logInterval
	return true
}

// locate returns key's shard and the first slot of its window.
func (l *Limiter) locate(key uint64) (*shard, uint64) {
	h := hash(key, l.seed)
	return &l.shards[h>>(64-shardBits)], h & l.mask
}
