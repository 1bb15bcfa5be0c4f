//go:build linux

package engine

import (
	"errors"
	"io"
	"log/slog"

	"github.com/panjf2000/gnet/v2"

	"github.com/echo-activation/echo-server/engine/idlewheel"
)

// echoHandler is the gnet event handler: every stream connection echoes what
// it reads, without copying it into a buffer of its own.
type echoHandler struct {
	gnet.BuiltinEventEngine
	log   *slog.Logger
	debug bool
	idle  *idlewheel.Loops[gnet.Conn] // nil: connections may stay silent forever (conn.go)
	adm   *admission                  // released in OnClose
	priv  *gnetPrivate                // nil: no pausing (see backpressure.go)
	src   *sources                    // per-source limits and PROXY headers (sources.go)
}

func (h *echoHandler) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	st := connOrigin(c)
	if !st.admitted { // over MaxConns
		return nil, gnet.Close
	}
	sv := st.sv
	if h.src.on() && !h.src.opened(c, st) {
		st.admitted = false // released here: an enroller reads it as "rejected"
		h.adm.release(sv)
		return nil, gnet.Close
	}
	st.opened = true
	sv.stats.accepted.Add(1)
	if h.idle != nil {
		st.watchIdle(c, h.idle)
	}
	if h.debug {
		h.log.Debug("open", "socket", sv.Name, "fd", c.Fd(), "peer", c.RemoteAddr())
	}
	return nil, gnet.None
}

// OnTraffic hands gnet's read buffer straight back to Write: the socket takes
// what it can and gnet keeps only the rest in the connection's outbound
// buffer, and then the connection is paused until that rest is sent (see
// backpressure.go).
func (h *echoHandler) OnTraffic(c gnet.Conn) gnet.Action {
	st := c.Context().(*connState)
	if st.header != nil { // from a trusted proxy: the PROXY header first
		if more, action := h.src.header(c, st); !more {
			return action
		}
	}
	sv := st.sv
	st.touch()
	buf, _ := c.Next(-1)
	// Counted before the echo leaves: a client that has its echo back and
	// then reads the metrics must find its bytes counted as received.
	sv.stats.bytesIn.Add(uint64(len(buf)))
	n, err := c.Write(buf)
	sv.stats.bytesOut.Add(uint64(n))
	if h.debug {
		h.log.Debug("echo", "socket", sv.Name, "fd", c.Fd(), "read", len(buf), "wrote", n)
	}
	if err != nil {
		sv.stats.errors.Add(1)
		return gnet.Close
	}
	if unsent := c.OutboundBuffered(); unsent > 0 && !h.priv.pauseReading(c) && unsent > fallbackMaxUnsent {
		sv.stats.errors.Add(1)
		h.log.Warn("closing a connection that does not read its echo", "socket", sv.Name, "unsent", unsent)
		return gnet.Close
	}
	return gnet.None
}

func (h *echoHandler) OnClose(c gnet.Conn, err error) gnet.Action {
	st := c.Context().(*connState)
	if !st.opened {
		return gnet.None // rejected in OnOpen
	}
	st.stopIdle()
	h.src.closed(st)
	sv := st.sv
	if h.debug {
		h.log.Debug("close", closeArgs(sv, c, err)...)
	}
	if st.admitted {
		h.adm.release(sv)
	}
	return gnet.None
}

// closeArgs are the attributes of a close line: an orderly close by the
// peer (gnet reports it as "read: EOF") is not an error and has none.
func closeArgs(sv *served, c gnet.Conn, err error) []any {
	args := []any{"socket", sv.Name, "fd", c.Fd()}
	if err != nil && !errors.Is(err, io.EOF) {
		args = append(args, "err", err)
	}
	return args
}
