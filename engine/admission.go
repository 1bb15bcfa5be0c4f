//go:build linux

package engine

import "sync/atomic"

// admission counts the stream connections the server has taken on, from
// the moment one is accepted (or adopted) until it is closed or fails to
// enter gnet. It is the one count of open connections: the MaxConns cap
// (exact: a connection is counted once, whichever stage it is in), the
// fd-limit guard and the drain at shutdown read it, and each socket's share
// (SocketStats.Open: the metric echo_connections_open, the "open" of log
// lines and of the SIGUSR1 report) moves with it in admitOrReject and
// release, so the shares always sum to it.
type admission struct {
	max int64        // 0: no cap
	n   atomic.Int64 // connections taken on and not yet released
	// onZero runs when the count drops to 0 (on an event loop or an
	// enroller goroutine).
	onZero func()
}

// admit takes one connection on, unless that would pass max.
func (a *admission) admit() bool {
	for {
		n := a.n.Load()
		if a.max > 0 && n >= a.max {
			return false
		}
		if a.n.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// release gives back what admit took for a connection of sv.
func (a *admission) release(sv *served) {
	sv.stats.open.Add(-1)
	if a.n.Add(-1) == 0 && a.onZero != nil {
		a.onZero()
	}
}

// open is the number of connections taken on now: the sum of every
// socket's open count (SocketStats.Open), which changes with it.
func (a *admission) open() int64 { return a.n.Load() }

// admitOrReject admits one connection on sv, or counts and logs it as
// rejected (over MaxConns); the caller closes a rejected connection.
func (s *Server) admitOrReject(sv *served) bool {
	if s.adm.admit() {
		sv.stats.open.Add(1)
		return true
	}
	sv.stats.reject(RejectedMaxConns)
	s.rejectLog.warn(s.log, "connection limit reached, closing new connections", "socket", sv.Name, "max_conns", s.opts.MaxConns)
	return false
}
