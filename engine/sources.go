//go:build linux

package engine

import (
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/echo-activation/echo-server/engine/proxyproto"
	"github.com/echo-activation/echo-server/engine/sourcelimit"
	"github.com/panjf2000/gnet/v2"
)

// Sources: who a stream connection is from, and how much of the server
// one source may hold (README "Fair to every client"). Everything the
// per-source limits and the PROXY protocol do to a connection is here:
//
//   - at open, a TCP connection from a trusted proxy (Options.ProxyFrom)
//     waits for its PROXY header; any other is counted against its
//     source's cap and rate (package sourcelimit), and refused at once
//     over either;
//   - on its first bytes, a proxied connection's header is parsed in
//     gnet's inbound buffer (package proxyproto; no copy while the header
//     is whole in it), removed, and the address it names is counted as
//     above; a v2 LOCAL header (the proxy's own health check) is served as
//     the proxy, uncounted; a malformed header, or none within
//     Options.ProxyHeaderTimeout, closes the connection;
//   - at close, what was counted is released.
//
// Unix and vsock peers have no address: they are never counted.
type sources struct {
	limit   *sourcelimit.Limiter // nil: no per-source limit
	proxies []netip.Prefix       // trusted proxies
	timeout time.Duration        // for a PROXY header
	epoch   time.Time
	log     *slog.Logger
	debug   bool // --debug: a line per PROXY header read, naming the client
}

// RejectReason says why a stream connection was closed at once.
type RejectReason int

// The reasons, as in SocketStats.RejectedBy and the metric's reason label.
const (
	RejectedMaxConns    RejectReason = iota // over --max-conns
	RejectedPerSource                       // its source holds --max-conns-per-source already
	RejectedRate                            // its source opens connections faster than --conn-rate
	RejectedTableFull                       // the per-source table has no room for a new source
	RejectedProxyHeader                     // from a trusted proxy without a valid PROXY header in time
	NumRejectReasons
)

var rejectNames = [NumRejectReasons]string{"max_conns", "per_source", "rate", "table_full", "proxy_header"}

func (r RejectReason) String() string { return rejectNames[r] }

// fromLimit maps a refusal of package sourcelimit to its reason.
func fromLimit(r sourcelimit.Reason) RejectReason {
	switch r {
	case sourcelimit.PerSource:
		return RejectedPerSource
	case sourcelimit.Rate:
		return RejectedRate
	}
	return RejectedTableFull
}

func newSources(o Options) (*sources, error) {
	src := &sources{proxies: o.ProxyFrom, timeout: o.ProxyHeaderTimeout, epoch: time.Now(), log: o.Logger, debug: o.Debug}
	if src.timeout <= 0 {
		src.timeout = proxyproto.DefaultHeaderTimeout
	}
	if o.Sources.PerSource > 0 || o.Sources.Rate > 0 {
		l, err := sourcelimit.New(o.Sources)
		if err != nil {
			return nil, err
		}
		src.limit = l
	}
	return src, nil
}

// on reports whether there is anything to do for a connection.
func (src *sources) on() bool { return src.limit != nil || len(src.proxies) > 0 }

func (src *sources) now() int64 { return int64(time.Since(src.epoch)) }

// peerAddr is the IP address of a TCP peer; invalid for any other.
func peerAddr(c gnet.Conn) netip.Addr {
	a, ok := c.RemoteAddr().(*net.TCPAddr)
	if !ok {
		return netip.Addr{}
	}
	ip, _ := netip.AddrFromSlice(a.IP)
	return ip.Unmap()
}

func (src *sources) trusted(a netip.Addr) bool {
	for _, p := range src.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// opened decides at OnOpen; false: close the connection at once (counted).
func (src *sources) opened(c gnet.Conn, st *connState) bool {
	peer := peerAddr(c)
	if !peer.IsValid() {
		return true
	}
	if src.trusted(peer) {
		hw := &headerWait{proxy: peer}
		hw.pending.Store(true)
		st.header = hw
		sv := st.sv
		hw.timer = time.AfterFunc(src.timeout, func() {
			if hw.pending.CompareAndSwap(true, false) {
				sv.stats.reject(RejectedProxyHeader)
				src.log.Warn("connection closed: no PROXY header in time", "socket", sv.Name, "proxy", peer, "timeout", src.timeout)
				_ = c.Close()
			}
		})
		return true
	}
	return src.count(st, peer, peer)
}

// count counts a connection from source (by way of peer, the address the
// connection came from) against the limits.
func (src *sources) count(st *connState, source, peer netip.Addr) bool {
	now := src.now()
	ok, r := src.limit.Acquire(source, now)
	if !ok {
		reason := fromLimit(r)
		st.sv.stats.reject(reason)
		if src.limit.ShouldLog(source, now) {
			src.log.Warn("connection refused: per-source limit", "socket", st.sv.Name, "source", source, "via", peer, "reason", reason.String())
		}
		return false
	}
	if src.limit != nil {
		st.source = source
	}
	return true
}

// errHeaderTooLong: the bytes buffered are longer than any header, and no
// header ends in them.
var errHeaderTooLong = errors.New("no PROXY header ends within its maximum length")

// header reads the PROXY header (st.header is set) of a connection from a trusted proxy. It
// returns gnet.None with more false while the header is incomplete,
// gnet.Close when the connection must go, and more true once the header
// is removed and the bytes after it (if any) are to be echoed.
func (src *sources) header(c gnet.Conn, st *connState) (more bool, action gnet.Action) {
	if !st.header.pending.Load() {
		return false, gnet.Close // the header timer closed it
	}
	buf, _ := c.Peek(min(c.InboundBuffered(), proxyproto.MaxLen))
	h, err := proxyproto.Parse(buf)
	if errors.Is(err, proxyproto.ErrIncomplete) && len(buf) >= proxyproto.MaxLen {
		err = errHeaderTooLong
	}
	if errors.Is(err, proxyproto.ErrIncomplete) {
		return false, gnet.None
	}
	if !st.header.pending.CompareAndSwap(true, false) {
		return false, gnet.Close
	}
	st.header.timer.Stop()
	peer := st.header.proxy
	st.header = nil // read: the timer has nothing left to do
	if err != nil {
		st.sv.stats.reject(RejectedProxyHeader)
		src.log.Warn("connection closed: bad PROXY header", "socket", st.sv.Name, "proxy", peer, "err", err)
		return false, gnet.Close
	}
	_, _ = c.Discard(h.Len)
	if src.debug {
		client := "LOCAL (the proxy itself)"
		if !h.Local {
			client = h.Source.String()
		}
		src.log.Debug("PROXY header", "socket", st.sv.Name, "fd", c.Fd(), "proxy", peer, "client", client)
	}
	if !h.Local {
		if !src.count(st, h.Source.Addr().Unmap(), peer) {
			return false, gnet.Close
		}
	}
	return c.InboundBuffered() > 0, gnet.None
}

// closed releases what the connection counted.
func (src *sources) closed(st *connState) {
	if st.header != nil && st.header.pending.CompareAndSwap(true, false) {
		st.header.timer.Stop()
	}
	if st.source.IsValid() {
		src.limit.Release(st.source)
	}
}

// headerWait is a proxied connection waiting for its PROXY header.
type headerWait struct {
	proxy   netip.Addr  // the trusted proxy the connection came from
	pending atomic.Bool // until the header is read, or the timer closes the connection
	timer   *time.Timer
}
