//go:build linux

package engine

import (
	"sync/atomic"

	"github.com/echo-activation/echo-server/engine/udprules"
)

// counters are the live per-socket counters, updated on the hot paths with
// single atomic adds.
type counters struct {
	accepted                  atomic.Uint64
	rejectedBy                [NumRejectReasons]atomic.Uint64
	idleClosed                atomic.Uint64
	open                      atomic.Int64
	bytesIn, bytesOut         atomic.Uint64
	datagramsIn, datagramsOut atomic.Uint64
	dropped, errors           atomic.Uint64
	refused                   [udprules.NumReasons]atomic.Uint64 // UDP datagrams not answered, by udprules.Reason
}

// SocketStats is a snapshot of one socket's counters.
type SocketStats struct {
	Name, Network, Addr string
	Accepted, Rejected  uint64                   // stream connections; rejected: closed at once, for any reason
	RejectedBy          [NumRejectReasons]uint64 // Rejected by RejectReason
	IdleClosed          uint64                   // stream connections closed by the idle timeout
	Open                int64                    // stream connections open now: admitted and not yet closed (Server.Open is their sum)
	BytesIn, BytesOut   uint64
	DatagramsIn         uint64
	DatagramsOut        uint64
	Dropped             uint64 // datagrams that could not be echoed (no reply address, peer not reading)
	Errors              uint64
	Refused             [udprules.NumReasons]uint64 // UDP datagrams not answered, indexed by udprules.Reason
}

// served is one socket the server serves, with its counters. Every
// connection accepted from it points to it from its connState (the gnet
// connection context, conn.go).
type served struct {
	Socket
	stats counters
	acc   *acceptor       // a stream listener accepted on gnet's loops (accept.go)
	guard *udprules.Guard // a UDP socket's, shared by every socket of its address (datagramgroup.go)
}

func (sv *served) snapshot() SocketStats {
	c := &sv.stats
	st := SocketStats{
		Name: sv.Name, Network: sv.Network(), Addr: sv.Addr,
		Accepted: c.accepted.Load(), Open: c.open.Load(),
		IdleClosed: c.idleClosed.Load(),
		BytesIn:    c.bytesIn.Load(), BytesOut: c.bytesOut.Load(),
		DatagramsIn: c.datagramsIn.Load(), DatagramsOut: c.datagramsOut.Load(),
		Dropped: c.dropped.Load(), Errors: c.errors.Load(),
		Refused: c.loadRefused(),
	}
	c.loadRejected(&st)
	return st
}

func (c *counters) loadRefused() (out [udprules.NumReasons]uint64) {
	for i := range out {
		out[i] = c.refused[i].Load()
	}
	return out
}

// loadRejected sets the counts by reason and their sum, Rejected.
func (c *counters) loadRejected(st *SocketStats) {
	for i := range st.RejectedBy {
		st.RejectedBy[i] = c.rejectedBy[i].Load()
		st.Rejected += st.RejectedBy[i]
	}
}

// reject counts a stream connection closed at once.
func (c *counters) reject(r RejectReason) {
	c.rejectedBy[r].Add(1)
}
