package fleet

import (
	"slices"
	"testing"
	"time"
)

// haproxyVariant is one way of restarting the hosts behind HAProxy.
type haproxyVariant struct {
	name     string
	mode     socketMode
	args     []string // server flags
	drain    bool     // drain each host through HAProxy's runtime API first
	stray    bool     // keep a copy of each listener open until its server exits
	run      schedule
	wantLoss bool // a negative control: the test must see connections fail
}

// delayArgs is the shutdown the hosts run with behind haproxy.cfg: /readyz
// answers 503 for at least inter x fall + timeout check (500ms x 2 + 500ms)
// before the server stops accepting.
var delayArgs = []string{"--shutdown-delay", "2s"}

// proxyArgs trust the balancer's PROXY headers (haproxy.cfg: send-proxy-v2).
var proxyArgs = []string{"--proxy-protocol", lbInside}

var haproxyVariants = []haproxyVariant{
	{name: "held sockets, --shutdown-delay", mode: heldSockets, args: delayArgs, run: fullRun},
	{name: "own socket, --shutdown-delay", mode: ownSockets, args: delayArgs, run: fullRun},
	{name: "own socket, runtime-API drain", mode: ownSockets, drain: true, run: shortRun},
	// The negative control: whatever the server does, a copy of its listener
	// stays open until it exits, as the old shutdown left it: handshakes the
	// kernel completes meanwhile are reset when the copy closes.
	{name: "own socket, listener left open (negative control)", mode: ownSockets, stray: true, run: shortRun, wantLoss: true},
}

// TestHAProxyRestarts runs three hosts behind HAProxy with the shipped
// haproxy.cfg and restarts hosts (SIGTERM, then a new process) under load.
// Without a runtime-API drain, the only signals HAProxy gets are its
// health checks and refused connects. Every variant but the negative
// control must lose no connection and no byte.
func TestHAProxyRestarts(t *testing.T) {
	needFleetTools(t)
	f := newFleetNet(t, len(fullRun.at))
	for _, v := range haproxyVariants {
		t.Run(v.name, func(t *testing.T) {
			backends := startBackends(t, f, v.mode, slices.Concat(v.args, proxyArgs), v.stray)
			h := startHAProxy(t, f)
			h.waitStatus(t, "UP", 10*time.Second, names(backends)...)
			res, began := restartUnderLoad(t, f, echoAddr(haproxyVIP), v.run, func(i int) {
				b := backends[i]
				if v.drain {
					h.drain(t, b.name())
				}
				b.restart(t)
				if v.drain {
					h.must(t, "set server echo/"+b.name()+" state ready")
				}
				h.waitStatus(t, "UP", 10*time.Second, b.name())
			})
			stopAll(t, backends)
			checkRestarts(t, v.run, v.wantLoss, res, began)
		})
	}
}

func names(backends []*backend) []string {
	var out []string
	for _, b := range backends {
		out = append(out, b.name())
	}
	return out
}
