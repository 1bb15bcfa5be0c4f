package main

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
	"github.com/echo-activation/echo-server/engine"
)

// statusEvery is how often STATUS= is refreshed with live counters.
const statusEvery = 5 * time.Second

// notifier speaks sd_notify when NOTIFY_SOCKET is set: READY=1, STATUS=,
// WATCHDOG=1 at half of WATCHDOG_USEC, STOPPING=1.
//
// It opens and connects the notify socket once, in newNotifier, and sends
// every state on that connection, where daemon.SdNotify opens a socket per
// call: once the process is confined (engine/confine), socket() and
// connect() fail with EPERM.
type notifier struct {
	log      *slog.Logger
	enabled  bool
	conn     *net.UnixConn
	ticker   *time.Ticker
	watchdog bool
}

func newNotifier(required bool, log *slog.Logger) *notifier {
	n := &notifier{log: log}
	n.enabled = os.Getenv("NOTIFY_SOCKET") != ""
	if required && !n.enabled {
		log.Warn("--sdnotify given but NOTIFY_SOCKET is not set; not notifying")
	}
	if n.enabled {
		n.conn, n.enabled = dialNotify(log)
	}
	every := statusEvery
	if wd, err := daemon.SdWatchdogEnabled(true); err == nil && wd > 0 && n.enabled {
		n.watchdog = true
		every = min(every, wd/2)
	}
	if n.enabled {
		n.ticker = time.NewTicker(every)
	}
	return n
}

func (n *notifier) send(state string) {
	if !n.enabled {
		return
	}
	if _, err := n.conn.Write([]byte(state)); err != nil {
		n.log.Warn("sd_notify failed", "state", state, "err", err)
	}
}

// dialNotify connects a datagram socket to NOTIFY_SOCKET (a path, or an
// abstract name after "@"); a failure is logged and notifying is off.
func dialNotify(log *slog.Logger) (*net.UnixConn, bool) {
	addr := os.Getenv("NOTIFY_SOCKET")
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		log.Warn("sd_notify socket unreachable; not notifying", "addr", addr, "err", err)
		return nil, false
	}
	return c, true
}

func (n *notifier) ready(srv *engine.Server) { n.send("READY=1\n" + status(srv)) }

func (n *notifier) refresh(srv *engine.Server) {
	state := status(srv)
	if n.watchdog {
		state = "WATCHDOG=1\n" + state
	}
	n.send(state)
}

// stopping says the server is draining; EXTEND_TIMEOUT_USEC asks systemd
// to wait for the whole drain (plus a margin) even if TimeoutStopSec is
// shorter.
func (n *notifier) stopping(drain time.Duration) {
	extend := (drain + 2*time.Second).Microseconds()
	n.send(fmt.Sprintf("STOPPING=1\nSTATUS=draining open connections for up to %v\nEXTEND_TIMEOUT_USEC=%d", drain, extend))
	if n.ticker != nil {
		n.ticker.Stop()
	}
}

// tick fires when STATUS (and the watchdog) are due; nil when not notifying.
func (n *notifier) tick() <-chan time.Time {
	if n.ticker == nil {
		return nil
	}
	return n.ticker.C
}

func status(srv *engine.Server) string {
	var in, dgrams uint64
	stats := srv.Stats()
	for _, st := range stats {
		in += st.BytesIn
		dgrams += st.DatagramsIn
	}
	return fmt.Sprintf("STATUS=serving %d sockets; %d connections open; %d bytes and %d datagrams echoed",
		len(stats), srv.Open(), in, dgrams)
}
