package engine

import (
	"runtime"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest"
)

// TestGnetOnlyWhereItServes: a server with no stream socket starts no gnet
// Client (so no event loops) and no enroller; one that accepts on gnet's
// loops starts no enroller either, until a connection is accepted in Go.
// The goroutines a server adds are counted around Start and Shutdown.
func TestGnetOnlyWhereItServes(t *testing.T) {
	dir := echotest.TempDir(t)
	for _, tc := range []struct {
		name       string
		urls       []string
		opts       []Option
		gnet       bool
		goroutines int // most the server may add while serving, echo included
	}{
		// a UDP socket has a reader per loop (one per CPU here), a unixgram socket one
		{name: "udp only", urls: []string{"udp4://127.0.0.1:0"}, goroutines: runtime.NumCPU()},
		{name: "udp and unixgram", urls: []string{"udp4://127.0.0.1:0", "unixgram://" + dir + "/g.sock"}, goroutines: runtime.NumCPU() + 1},
		{name: "tcp on the loops", urls: []string{"tcp4://127.0.0.1:0"}, gnet: true, goroutines: 8},
		{name: "tcp in Go", urls: []string{"tcp4://127.0.0.1:0"}, opts: []Option{withoutGnetPrivate()}, gnet: true, goroutines: 8 + enrollerCount},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			srv, stats := startServerWith(t, tc.opts, tc.urls...)
			if (srv.client != nil) != tc.gnet {
				t.Fatalf("gnet Client made: %v, want %v", srv.client != nil, tc.gnet)
			}
			for _, st := range stats {
				if tc.gnet {
					checkStream(t, st, dir, []int{1, 1 << 10})
				} else {
					checkDatagrams(t, st, dir, []int{1, 1 << 10})
				}
			}
			if added := runtime.NumGoroutine() - before; added > tc.goroutines {
				t.Errorf("%d goroutines added, want at most %d", added, tc.goroutines)
			}
			if err := shutdown(srv); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(5 * time.Second)
			for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if n := runtime.NumGoroutine(); n > before {
				t.Errorf("%d goroutines left after Shutdown, %d before", n, before)
			}
		})
	}
}
