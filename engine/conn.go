//go:build linux

package engine

import (
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// connState is the gnet context of one stream connection: the socket it
// came from, whether it was admitted, and what the idle timer needs.
type connState struct {
	sv *served
	// admitted: the connection holds a slot of the admission count, given
	// back in OnClose. Set before gnet sees the connection, or in OnOpen.
	admitted bool
	// opened: OnOpen admitted and counted it (a connection rejected in
	// OnOpen is not). An enroller reads it once EnrollContext has returned
	// (gnet runs OnOpen before that) to find connections gnet dropped
	// without opening them.
	opened bool
	// rejected: OnOpen closed it at once (a per-source limit or a trusted
	// proxy's address on a connection that cannot wait); its admission is
	// released already.
	rejected bool
	// source is what the connection counts against the per-source limits
	// (sources.go); invalid: nothing. client is the client a PROXY header
	// named; invalid: the peer is the client.
	source netip.Addr
	client netip.AddrPort
	header *headerWait // a PROXY header is awaited; nil: not, or read
	active atomic.Bool // set on every read; cleared by the idle timer
	closed atomic.Bool // set by OnClose: the idle timer stops
	idle   *time.Timer // nil when there is no idle timeout
	quiet  int         // idle ticks in a row; only the timer touches it
}

// idleTicks is how many silent timer ticks close a connection: it is
// closed after between IdleTimeout and 1.25 × IdleTimeout of silence.
const idleTicks = 4

// watchIdle starts the idle timer of a connection now open in gnet.
func (st *connState) watchIdle(c gnet.Conn, timeout time.Duration, onIdle func()) {
	tick := timeout / idleTicks
	// Created stopped and armed after the assignment, so the callback
	// always sees st.idle set.
	st.idle = time.AfterFunc(time.Hour, func() {
		if st.closed.Load() {
			return
		}
		if st.active.Swap(false) {
			st.quiet = 0
		} else if st.quiet++; st.quiet >= idleTicks {
			onIdle()
			_ = c.Close() // concurrency-safe: gnet runs it on the conn's loop
			return
		}
		st.idle.Reset(tick)
	})
	st.idle.Stop()
	st.idle.Reset(tick)
}

func (st *connState) stopIdle() {
	st.closed.Store(true)
	if st.idle != nil {
		st.idle.Stop()
	}
}
