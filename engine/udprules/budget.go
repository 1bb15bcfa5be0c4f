package udprules

import (
	"sync/atomic"

	"github.com/echo-activation/echo-server/engine/gcra"
)

// The third rule of the UDP guard caps reflection: however many forged
// datagrams name one victim address (on any ports), the replies sent to that
// address stay within a budget of `rate` per second after a burst of
// `burst`, the way DNS Response Rate Limiting (BIND rate-limit, Knot rrl)
// bounds what a UDP responder sends toward one address. Each address is a
// token bucket, kept as the generic cell rate algorithm: one "theoretical
// arrival time" per address, so an entry is 16 bytes and a check is a few
// integer operations.
//
// The table has a fixed size. An entry whose bucket is full again (its
// time has passed) is free for another address, so an entry can only be
// held by an address that is spending its budget; an address that finds
// both entries of its set held shares one overflow bucket of the same size
// with every other such address. A flood of forged sources therefore cannot
// refill a victim's bucket by pushing it out of the table.

// budgetSets is the number of sets of the budget table (a power of two).
const budgetSets = 4096

type budgetEntry struct {
	tag uint64 // the address key; 0 marks an empty entry
	tat int64  // when the bucket is full again, ns on the guard's clock
}

// budgetTable is safe for concurrent use: each set is used under its
// stripe's lock (stripes.go), and the overflow bucket, which addresses of
// every set share, is spent with compare-and-swap.
type budgetTable struct {
	locks    stripes
	sets     [][2]budgetEntry
	overflow atomic.Int64 // tat of the bucket shared by addresses the table cannot hold
	rate     gcra.Rate
}

// budgetTableBytes is the memory of the table's sets, allocated once.
const budgetTableBytes = budgetSets * 2 * 16

func newBudgetTable(rate, burst int) *budgetTable {
	return &budgetTable{sets: make([][2]budgetEntry, budgetSets), rate: gcra.Every(int64(1e9)/int64(rate), burst)}
}

// allow spends one reply of the budget of the address with key at now; it
// reports false, spending nothing, when the budget is used up.
func (b *budgetTable) allow(key uint64, now int64) bool {
	idx := key >> 52 & (budgetSets - 1)
	st := b.locks.lock(idx)
	tat := b.bucket(max(key, 1), idx, now)
	if tat == nil {
		st.Unlock()
		return spendShared(b.rate, &b.overflow, now)
	}
	ok := b.rate.Spend(tat, now)
	st.Unlock()
	return ok
}

// spendShared spends from a bucket that other loops spend from at the same
// time: Spend on a copy, stored only if the bucket has not moved since.
func spendShared(r gcra.Rate, tat *atomic.Int64, now int64) bool {
	for {
		old := tat.Load()
		next := old
		if !r.Spend(&next, now) {
			return false
		}
		if tat.CompareAndSwap(old, next) {
			return true
		}
	}
}

// bucket finds the address's entry or claims a free one; nil means the
// overflow bucket. The set's lock is held.
func (b *budgetTable) bucket(tag, idx uint64, now int64) *int64 {
	set := &b.sets[idx]
	for i := range set {
		if set[i].tag == tag {
			return &set[i].tat
		}
	}
	for i := range set {
		if e := &set[i]; e.tag == 0 || e.tat <= now {
			*e = budgetEntry{tag: tag, tat: now}
			return &e.tat
		}
	}
	return nil
}
