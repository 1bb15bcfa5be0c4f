//go:build linux

package engine

import (
	"net/netip"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/echo-activation/echo-server/engine/idlewheel"
)

// connState is the gnet context of one stream connection: the socket it
// came from, whether it was admitted, and its place in its loop's idle
// wheel.
type connState struct {
	sv *served
	// admitted: the connection holds a slot of the admission count, given
	// back in OnClose. Set before gnet sees the connection, or in OnOpen;
	// cleared by OnOpen when a per-source limit rejects the connection
	// (its slot is given back there), which an enroller reads as rejected.
	admitted bool
	// opened: OnOpen admitted and counted it (a connection rejected in
	// OnOpen is not). An enroller reads it once EnrollContext has returned
	// (gnet runs OnOpen before that) to find connections gnet dropped
	// without opening them.
	opened bool
	// source is what the connection counts against the per-source limits
	// (sources.go); invalid: nothing.
	source netip.Addr
	header *headerWait // a PROXY header is awaited; nil: not, or read
	// idle is the connection's entry in wheel, its loop's idle wheel (nil
	// when there is no idle timeout); only that loop touches either.
	idle  idlewheel.Entry[gnet.Conn]
	wheel *idlewheel.Wheel[gnet.Conn]
}

// newIdleLoops returns the idle wheels of a server whose silent
// connections close after between d and 1.25 × d (idlewheel.Ticks = 4),
// or nil when d is 0. One timer per event loop instead of one per
// connection: measured in bench/results (issue 21).
func newIdleLoops(d time.Duration) *idlewheel.Loops[gnet.Conn] {
	if d <= 0 {
		return nil
	}
	return idlewheel.NewLoops(d, func(c gnet.Conn) {
		if st, ok := c.Context().(*connState); ok {
			st.sv.stats.idleClosed.Add(1)
		}
		_ = c.Close() // on the conn's loop: gnet closes it after this tick
	})
}

// watchIdle enters a connection now open in gnet in its loop's wheel.
func (st *connState) watchIdle(c gnet.Conn, loops *idlewheel.Loops[gnet.Conn]) {
	st.wheel = loops.For(c.EventLoop())
	st.wheel.Add(&st.idle, c)
}

// touch marks the connection active: one store.
func (st *connState) touch() {
	if st.wheel != nil {
		st.wheel.Touch(&st.idle)
	}
}

func (st *connState) stopIdle() {
	if st.wheel != nil {
		st.wheel.Remove(&st.idle)
	}
}
