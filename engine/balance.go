//go:build linux

package engine

import "github.com/panjf2000/gnet/v2"

// Fair shares between event loops. With a listener in several loops'
// epolls, EPOLLEXCLUSIVE wakes one waiting loop per connection, but the
// kernel tries the loops in the order they registered, so the first one
// takes most connections whenever it is waiting (measured: 87/13 with two
// loops). So each loop counts the connections it accepted on a listener; a
// loop that is balanceMargin connections ahead of the loop with the fewest
// takes the listener off its own epoll, and it is put back once the loops
// still accepting have caught up with it. Each switch is one epoll_ctl, at
// most one per balanceMargin connections per loop.

// balanceMargin is how far one loop may get ahead before it steps aside
// (a variable only so that a test can log the split without it).
var balanceMargin int64 = 16

// balance counts a connection accepted on loop el and evens out the loops
// (with one loop there is nothing to even out or count).
func (a *acceptor) balance(el gnet.EventLoop) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.loops) < 2 {
		return
	}
	i := a.loopIndex(el)
	if i < 0 || a.mode != modeLoops {
		return
	}
	a.count[i]++
	armedMin, allMin := a.minCountsLocked()
	for j := range a.loops {
		if !a.armed[j] && a.count[j] <= armedMin {
			_ = a.armLocked(j) // caught up with: accept again
		}
	}
	if a.armed[i] && a.count[i] >= allMin+balanceMargin && a.armedCountLocked() > 1 {
		a.disarmLocked(i) // on its own loop: no event of it is in flight elsewhere
	}
}

// minCountsLocked returns the fewest connections accepted by an armed loop
// and by any loop.
func (a *acceptor) minCountsLocked() (armed, all int64) {
	armed, all = -1, -1
	for j, n := range a.count {
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

func (a *acceptor) loopIndex(el gnet.EventLoop) int {
	for i, l := range a.loops {
		if l.el == el {
			return i
		}
	}
	return -1
}
