package engine

import (
	"net/netip"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest"
	"github.com/echo-activation/echo-server/engine/udprules"
)

// groupShapes: how one UDP address is served by two loops (README "UDP on
// every core"): one socket read by two loops, a reuseport group of two
// sockets with a loop each, and one with two loops each.
var groupShapes = []groupShape{{sockets: 1, loops: 2}, {sockets: 2, loops: 2}, {sockets: 2, loops: 4}}

// maxUDPPayload is the largest UDP payload: 65535 less the UDP header (8)
// and, for IPv4, the IP header (20), which IPv6 does not count.
var maxUDPPayload = map[string]int{"udp4": 65507, "udp6": 65527}

// TestUDPGroupEcho: every size from 0 B to the largest datagram comes back
// byte-exact from each shape, for 32 clients (distinct source ports, so a
// group's kernel hash spreads them), and each socket of a group serves some.
func TestUDPGroupEcho(t *testing.T) {
	for _, family := range []string{"udp4", "udp6"} {
		for _, shape := range groupShapes {
			t.Run(family+"/"+shape.String(), func(t *testing.T) {
				t.Parallel()
				ns := newNetns(t)
				url, lo := "udp4://127.0.0.1:0", netip.MustParseAddr("127.0.0.1")
				if family == "udp6" {
					url, lo = "udp6://[::1]:0", netip.IPv6Loopback()
				}
				g := startGroup(t, ns, url, off, shape)
				sizes := []int{0, 1, 512, 1472, 9000, 32768, maxUDPPayload[family]}
				buf := make([]byte, 1<<16)
				for c := range 32 {
					conn := listenUDP(t, ns, netip.AddrPortFrom(lo, 0))
					for _, n := range sizes {
						msg := echotest.Payload(n, uint64(c*100+n))
						if _, err := conn.WriteToUDPAddrPort(msg, g.addr); err != nil {
							t.Fatalf("client %d, %d B: %v", c, n, err)
						}
						got, ok := readWithin(conn, buf, 2*time.Second)
						if !ok {
							t.Fatalf("client %d, %d B: no echo within 2 s", c, n)
						}
						if err := echotest.Compare(got, msg); err != nil {
							t.Fatalf("client %d, %d B: %v", c, n, err)
						}
					}
				}
				for _, st := range g.srv.Stats() {
					if st.DatagramsOut == 0 {
						t.Errorf("socket %s of the group echoed nothing: %+v", st.Name, st)
					}
				}
			})
		}
	}
}

// TestUDPLoopSharedAcrossLoops: one forged echo loop between server A and a
// reflector is answered by A exactly LoopLimit times in all, though A's
// loops take turns reading its socket (each reader of one socket re-queues
// itself after each wakeup, so the loop's datagrams land on both): the
// loops share one loop table. With a table per loop it would be answered
// up to LoopLimit times per loop.
func TestUDPLoopSharedAcrossLoops(t *testing.T) {
	for _, family := range []string{"udp4", "udp6"} {
		for _, shape := range groupShapes {
			t.Run(family+"/"+shape.String(), func(t *testing.T) {
				t.Parallel()
				ns := newNetns(t)
				f := newForgerIn(t, ns)
				url, lo := "udp4://127.0.0.1:0", netip.MustParseAddr("127.0.0.1")
				if family == "udp6" {
					url, lo = "udp6://[::1]:0", netip.IPv6Loopback()
				}
				a := startGroup(t, ns, url, udprules.Config{}, shape)
				peer, _ := startReflector(t, ns, netip.AddrPortFrom(lo, 0), 0)
				if err := f.send(peer, a.addr, []byte("forged loop")); err != nil {
					t.Fatal(err)
				}
				died, total := waitQuiet(func() uint64 { return a.stats().DatagramsIn }, 500*time.Millisecond, 5*time.Second)
				st := a.stats()
				t.Logf("dead after %v: A received %d, answered %d, refused %d as a loop", died.Round(time.Millisecond), total, st.DatagramsOut, st.Refused[udprules.RefusedLoop])
				if st.DatagramsOut != udprules.DefaultLoopLimit {
					t.Errorf("A answered the loop %d times, want %d (one limit for all its loops)", st.DatagramsOut, udprules.DefaultLoopLimit)
				}
				if st.Refused[udprules.RefusedLoop] != 1 {
					t.Errorf("A refused %d datagrams as a loop, want 1: the one that ended it", st.Refused[udprules.RefusedLoop])
				}
			})
		}
	}
}
