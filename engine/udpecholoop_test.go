package engine

import (
	"fmt"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/udprules"
)

// off turns the loop and budget rules off: the server as it was before them.
var off = udprules.Config{LoopLimit: -1, ReplyBudget: -1}

// loopCase: forged datagrams that start loops between server A (defaults)
// and a peer: a second instance of this server (with the guard or without
// it, as an older version) or a reflector that answers after 2 ms, one
// datagram at a time, as an echo server one WAN round trip away would.
type loopCase struct {
	family string // udp4 or udp6
	peer   string // guarded, unguarded or reflector
	loops  int
	same   bool // every loop carries the same payload
}

func (c loopCase) String() string {
	s := fmt.Sprintf("%s/%s/%d", c.family, c.peer, c.loops)
	if c.same {
		s += "-same"
	}
	return s
}

// TestUDPLoopsDie: every loop one or 20 forged datagrams start is dead
// within 3 s, on loopback (which the budget does not cover) too.
func TestUDPLoopsDie(t *testing.T) {
	var cases []loopCase
	for _, family := range []string{"udp4", "udp6"} {
		for _, peer := range []string{"guarded", "unguarded", "reflector"} {
			for _, loops := range []int{1, 20} {
				cases = append(cases, loopCase{family: family, peer: peer, loops: loops})
			}
		}
	}
	cases = append(cases, loopCase{family: "udp4", peer: "unguarded", loops: 20, same: true})
	for _, tc := range cases {
		t.Run(tc.String(), func(t *testing.T) {
			t.Parallel()
			a, traffic := startLoops(t, tc, udprules.Config{})
			died, total := waitQuiet(traffic, time.Second, 10*time.Second)
			t.Logf("dead after %v, %d datagrams in all", died.Round(time.Millisecond), total)
			if died > 3*time.Second {
				t.Errorf("the loops lived %v (limit 3 s)", died)
			}
			if a.stats().Refused[udprules.RefusedLoop] == 0 && tc.peer != "guarded" {
				t.Errorf("server A refused no datagram as a loop: %+v", a.stats())
			}
		})
	}
}

// TestUDPLoopStormWithoutGuard is the control, and the "before" figure:
// with the loop and budget rules off, the same forgeries make storms that
// still run after 3 s.
func TestUDPLoopStormWithoutGuard(t *testing.T) {
	for _, tc := range []loopCase{
		{family: "udp4", peer: "unguarded", loops: 1},
		{family: "udp4", peer: "unguarded", loops: 20},
		{family: "udp4", peer: "reflector", loops: 20},
	} {
		t.Run(tc.String(), func(t *testing.T) {
			t.Parallel() // the rates logged are then shared; README's come from two processes
			_, traffic := startLoops(t, tc, off)
			start := traffic()
			time.Sleep(time.Second)
			first := traffic()
			time.Sleep(2 * time.Second)
			before := traffic()
			time.Sleep(time.Second)
			fourth := traffic() - before
			t.Logf("storm: %d datagrams in the first second, %d in the fourth", first-start, fourth)
			if fourth < 10 {
				t.Errorf("the storm died without the guard: %d datagrams in the fourth second", fourth)
			}
		})
	}
}

// startLoops starts server A with guard g and the case's peer in a fresh
// namespace, forges the loops, and returns A with a counter of the loops'
// datagrams (received by A and by the peer).
func startLoops(t *testing.T, tc loopCase, g udprules.Config) (*guarded, func() uint64) {
	ns := newNetns(t)
	f := newForgerIn(t, ns)
	url, lo := "udp4://127.0.0.1:0", netip.MustParseAddr("127.0.0.1")
	if tc.family == "udp6" {
		url, lo = "udp6://[::1]:0", netip.IPv6Loopback()
	}
	a := startGuarded(t, ns, url, g)
	var peer netip.AddrPort
	var peerIn func() uint64
	switch tc.peer {
	case "reflector":
		var n *atomic.Uint64
		peer, n = startReflector(t, ns, netip.AddrPortFrom(lo, 0), 2*time.Millisecond)
		peerIn = n.Load
	default:
		pg := g
		if tc.peer == "unguarded" {
			pg = off
		}
		b := startGuarded(t, ns, url, pg)
		peer, peerIn = b.addr, func() uint64 { return b.stats().DatagramsIn }
	}
	for i := range tc.loops {
		payload := fmt.Appendf(nil, "forged loop %d", i)
		if tc.same {
			payload = []byte("forged loop")
		}
		if err := f.send(peer, a.addr, payload); err != nil {
			t.Fatal(err)
		}
	}
	return a, func() uint64 { return a.stats().DatagramsIn + peerIn() }
}

// startReflector echoes on a socket at addr in ns, one datagram at a time,
// each after delay; it returns its address and how many it received.
func startReflector(t *testing.T, ns *netns, addr netip.AddrPort, delay time.Duration) (netip.AddrPort, *atomic.Uint64) {
	c := listenUDP(t, ns, addr)
	n := &atomic.Uint64{}
	go func() {
		buf := make([]byte, 1<<16)
		for {
			k, from, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				return // closed by the test's cleanup
			}
			n.Add(1)
			time.Sleep(delay)
			_, _ = c.WriteToUDPAddrPort(buf[:k], from)
		}
	}()
	return c.LocalAddr().(interface{ AddrPort() netip.AddrPort }).AddrPort(), n
}

// waitQuiet polls traffic until it has not moved for quiet (or until
// limit) and returns when it last moved, counted from the call, and its
// total.
func waitQuiet(traffic func() uint64, quiet, limit time.Duration) (time.Duration, uint64) {
	start := time.Now()
	last, lastAt := traffic(), start
	for time.Since(lastAt) < quiet && time.Since(start) < limit {
		time.Sleep(10 * time.Millisecond)
		if n := traffic(); n != last {
			last, lastAt = n, time.Now()
		}
	}
	return lastAt.Sub(start), last
}
