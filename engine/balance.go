//go:build linux

package engine

import (
	"sync/atomic"

	"github.com/panjf2000/gnet/v2"
)

// Fair shares between event loops. With a listener in several loops'
// epolls, EPOLLEXCLUSIVE wakes one waiting loop per connection, but the
// kernel tries the loops in the order they registered, so the first one
// takes most connections whenever it is waiting. So each loop counts the
// connections it accepted on a listener; a loop that is balanceMargin
// connections ahead of the loop with the fewest takes the listener off its
// own epoll, and it is put back once the loops still accepting have caught
// up with it. Each switch is one epoll_ctl, at most one per balanceMargin
// connections per loop.
//
// The count of a connection is one atomic add on the loop's own counter
// and a read of the others: no lock is taken per connection. The
// acceptor's mutex is taken only when a loop must step aside or come back.

// balanceMargin is how far one loop may get ahead before it steps aside
// (a variable only so that a test can measure the split without it).
var balanceMargin int64 = 16

// loopCount is one loop's count of connections it accepted on a listener,
// alone on its cache line: the loops add to their own counts concurrently.
type loopCount struct {
	n atomic.Int64
	_ [56]byte
}

// balance counts a connection accepted on loop el and evens out the loops
// (with one loop there is nothing to even out or count).
func (a *acceptor) balance(el gnet.EventLoop) {
	sh := a.shares.Load()
	if sh == nil || len(sh.loops) < 2 {
		return
	}
	i := sh.loopIndex(el)
	if i < 0 {
		return
	}
	mine := sh.count[i].n.Add(1)
	if fewest := sh.fewest(); mine < fewest+balanceMargin && mine%balanceMargin != 0 {
		return // nothing to switch: neither ahead, nor a turn to re-arm the others
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.mode != modeLoops {
		return
	}
	armedMin, allMin := a.minCountsLocked(sh.count)
	for j := range a.loops {
		if !a.armed[j] && sh.count[j].n.Load() <= armedMin {
			_ = a.armLocked(j) // caught up with: accept again
		}
	}
	if a.armed[i] && mine >= allMin+balanceMargin && a.armedCountLocked() > 1 {
		a.disarmLocked(i) // on its own loop: no event of it is in flight elsewhere
	}
}

// loopShares is what balance reads without the lock: set once by start,
// before the listener is in any epoll, and published atomically (the
// loops are already running then).
type loopShares struct {
	loops []loopRef
	count []loopCount
}

// fewest is the smallest count of any loop.
func (sh *loopShares) fewest() int64 {
	least := sh.count[0].n.Load()
	for j := 1; j < len(sh.count); j++ {
		least = min(least, sh.count[j].n.Load())
	}
	return least
}

// accepted is the number of connections the loops accepted here.
func (a *acceptor) accepted() int64 {
	var n int64
	if sh := a.shares.Load(); sh != nil {
		for j := range sh.count {
			n += sh.count[j].n.Load()
		}
	}
	return n
}

// minCountsLocked returns the fewest connections accepted by an armed loop
// and by any loop.
func (a *acceptor) minCountsLocked(count []loopCount) (armed, all int64) {
	armed, all = -1, -1
	for j := range count {
		n := count[j].n.Load()
		if all < 0 || n < all {
			all = n
		}
		if a.armed[j] && (armed < 0 || n < armed) {
			armed = n
		}
	}
	return armed, all
}

func (a *acceptor) armedCountLocked() int {
	n := 0
	for _, on := range a.armed {
		if on {
			n++
		}
	}
	return n
}

func (sh *loopShares) loopIndex(el gnet.EventLoop) int {
	for i, l := range sh.loops {
		if l.el == el {
			return i
		}
	}
	return -1
}
