package fleet

import (
	"fmt"
	"testing"
	"time"
)

// restartVariant is one way of restarting the hosts behind HAProxy.
type restartVariant struct {
	name     string
	mode     socketMode
	args     []string // server flags
	drain    bool     // drain each host through HAProxy's runtime API first
	stray    bool     // keep a copy of each listener open until its server exits
	wantLoss bool     // a negative control: the test must see connections fail
}

var restartVariants = []restartVariant{
	{name: "held sockets", mode: heldSockets},
	{name: "own socket, runtime-API drain", mode: ownSockets, drain: true},
	{name: "own socket, today's shutdown", mode: ownSockets, wantLoss: true},
	// The negative control: whatever the server does, a copy of its listener
	// stays open until it exits, as the old shutdown left it: handshakes the
	// kernel completes meanwhile are reset when the copy closes.
	{name: "own socket, listener left open (negative control)", mode: ownSockets, stray: true, wantLoss: true},
}

// The load: 500 new connections a second for 20 s through HAProxy; each
// echoes 2 KiB in two halves 50 ms apart. Host i restarts at restartAt[i].
var (
	restartLoad = tcpLoad{Rate: 500, Duration: 20 * time.Second, Size: 2048, Hold: 50 * time.Millisecond, Timeout: 15 * time.Second}
	restartAt   = []time.Duration{4 * time.Second, 10 * time.Second, 16 * time.Second}
)

// TestHAProxyRestarts runs three hosts behind HAProxy with the shipped
// haproxy.cfg and restarts each host once (SIGTERM, then a new process)
// while the load runs. Without a runtime-API drain, the only signals
// HAProxy gets are its health checks and refused connects. Every variant
// but the negative control must lose no connection and no byte.
func TestHAProxyRestarts(t *testing.T) {
	needFleetTools(t)
	f := newFleetNet(t, len(restartAt))
	for _, v := range restartVariants {
		t.Run(v.name, func(t *testing.T) { runRestarts(t, f, v) })
	}
}

func runRestarts(t *testing.T, f *fleetNet, v restartVariant) {
	backends := make([]*backend, len(f.hosts))
	names := make([]string, len(f.hosts))
	for i := range f.hosts {
		backends[i] = startBackend(t, f, i, v.mode, v.args, v.stray)
		names[i] = backends[i].name()
	}
	h := startHAProxy(t, f)
	h.waitStatus(t, "UP", 10*time.Second, names...)
	load := restartLoad
	load.Addr = fmt.Sprintf("%s:%d", haproxyVIP, echoPort)
	run := startLoad(t, f, "tcp", load)
	t0 := time.Now()
	restarted := make([]time.Time, len(backends))
	for i, b := range backends {
		time.Sleep(time.Until(t0.Add(restartAt[i])))
		began := time.Now()
		restarted[i] = began
		if v.drain {
			h.drain(t, b.name())
		}
		b.restart(t)
		took := time.Since(began)
		if v.drain {
			h.must(t, "set server echo/"+b.name()+" state ready")
		}
		h.waitStatus(t, "UP", 10*time.Second, b.name())
		t.Logf("%s: restart began at %.1fs, next process serving %v later", b.name(), began.Sub(t0).Seconds(), took.Round(time.Millisecond))
	}
	var res tcpResult
	run.wait(t, load.Duration+2*load.Timeout, &res)
	for _, b := range backends {
		b.stop(t)
	}
	report(t, v, res, restarted)
}

func report(t *testing.T, v restartVariant, res tcpResult, restarted []time.Time) {
	t.Logf("%s: %d connections, %d failed (by restart: %v), %d wrong bytes, slowest success %v; failures: %v",
		v.name, res.Attempted, res.Failed, failedByRestart(res, restarted), res.WrongBytes, res.Slowest.Round(time.Millisecond), res.Errors)
	want := int64(restartLoad.Duration.Seconds()) * int64(restartLoad.Rate)
	if res.Attempted != want {
		t.Errorf("attempted %d connections, want %d", res.Attempted, want)
	}
	if res.WrongBytes != 0 {
		t.Errorf("%d bytes came back wrong", res.WrongBytes)
	}
	switch {
	case v.wantLoss && res.Failed == 0:
		t.Errorf("negative control lost no connection: the test cannot see a loss")
	case !v.wantLoss && res.Failed != 0:
		t.Errorf("%d of %d connections failed: %v", res.Failed, res.Attempted, res.Errors)
	}
}

// failedByRestart counts the failures that began after each restart (and
// before the next); any before the first are counted with it.
func failedByRestart(res tcpResult, restarted []time.Time) []int64 {
	counts := make([]int64, len(restarted))
	for tenth, n := range res.FailedByTenth {
		i := 0
		for i+1 < len(restarted) && restarted[i+1].UnixMilli()/100 <= tenth {
			i++
		}
		counts[i] += n
	}
	return counts
}
