package engine

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest"
	"github.com/echo-activation/echo-server/engine/udprules"
)

// reflectCase: a server on loopback, a victim address and an honest
// client's address on the namespace's loopback interface (documentation
// addresses: not loopback, so the budget applies to them).
type reflectCase struct {
	name           string
	url            string
	victim, honest netip.Addr
}

var reflectCases = []reflectCase{
	{name: "udp4", url: "udp4://127.0.0.1:0", victim: netip.MustParseAddr("192.0.2.1"), honest: netip.MustParseAddr("192.0.2.2")},
	{name: "udp6", url: "udp6://[::1]:0", victim: netip.MustParseAddr("2001:db8::1"), honest: netip.MustParseAddr("2001:db8::2")},
}

// floodSize is enough forged datagrams to spend the default burst twice.
const floodSize = 2 * udprules.DefaultReplyBurst

// budgetShapes: one loop on one socket, two loops on one socket, and a
// reuseport group of two sockets with a loop each. The victim's budget is
// one budget in every shape, not one per loop.
var budgetShapes = []groupShape{{sockets: 1, loops: 1}, {sockets: 1, loops: 2}, {sockets: 2, loops: 2}}

// TestUDPReflectionBudget: a flood of forged datagrams naming one victim
// address, on many ports, gets at most burst + budget*seconds replies,
// with the defaults, however many loops serve the address; an honest
// client at another address and one on loopback, echoing all the while,
// lose nothing.
func TestUDPReflectionBudget(t *testing.T) {
	for _, tc := range reflectCases {
		for _, shape := range budgetShapes {
			t.Run(tc.name+"/"+shape.String(), func(t *testing.T) { testReflectionBudget(t, tc, shape) })
		}
	}
}

func testReflectionBudget(t *testing.T, tc reflectCase, shape groupShape) {
	ns := newNetns(t)
	f := newForgerIn(t, ns)
	g := startGroup(t, ns, tc.url, udprules.Config{}, shape)
	victim := listenUDP(t, ns, netip.AddrPortFrom(tc.victim, 0))
	atVictim := &atomic.Uint64{}
	go func() {
		buf := make([]byte, 256)
		for _, err := victim.Read(buf); err == nil; _, err = victim.Read(buf) {
			atVictim.Add(1)
		}
	}()
	stop, honestSent := make(chan struct{}), &atomic.Uint64{}
	before := g.stats() // idle: the honest clients start below
	var honest sync.WaitGroup
	echoed := make([]int, 2)
	for i, from := range []netip.Addr{tc.honest, g.addr.Addr()} {
		c := listenUDP(t, ns, netip.AddrPortFrom(from, 0))
		pause := time.Duration(0) // loopback: no budget
		if i == 0 {
			pause = 2 * time.Millisecond // at most 500 a second: within its own budget
		}
		honest.Add(1)
		go func() { defer honest.Done(); echoed[i] = pingUntil(t, c, g.addr, pause, stop, honestSent) }()
	}
	vport := victim.LocalAddr().(interface{ AddrPort() netip.AddrPort }).AddrPort().Port()
	start := time.Now()
	flood(t, f, g, before, tc.victim, vport, honestSent)
	close(stop)
	honest.Wait()
	honestEchoed := uint64(echoed[0] + echoed[1]) // every honest datagram came back, or the test failed
	waitAtLeast(t, g, func(s SocketStats) bool {
		return s.DatagramsOut+s.Refused[udprules.RefusedBudget]-before.DatagramsOut >= floodSize+honestEchoed
	})
	st, elapsed := g.stats(), time.Since(start) // every reply was granted in elapsed
	replies := st.DatagramsOut - before.DatagramsOut - honestEchoed
	refused := st.Refused[udprules.RefusedBudget]
	bound := udprules.DefaultReplyBurst + uint64(elapsed.Seconds()*udprules.DefaultReplyBudget) + 1
	t.Logf("flood of %d in %v: %d replies to the victim (bound %d), %d refused, %d arrived at its one socket; honest clients echoed %v",
		floodSize, elapsed.Round(time.Millisecond), replies, bound, refused, atVictim.Load(), echoed)
	if replies+refused != floodSize {
		t.Errorf("%d replies + %d refused: %d of the flood's %d datagrams lost on the way", replies, refused, floodSize-replies-refused, floodSize)
	}
	if replies > bound || replies < udprules.DefaultReplyBurst {
		t.Errorf("%d replies to the victim; want between the burst %d and %d", replies, udprules.DefaultReplyBurst, bound)
	}
	if atVictim.Load() == 0 {
		t.Error("no reply reached the victim's socket: the test sees nothing")
	}
	if echoed[0] == 0 || echoed[1] == 0 {
		t.Errorf("honest clients echoed %v datagrams during the flood", echoed)
	}
	for _, st := range g.srv.Stats() {
		if st.DatagramsIn == 0 {
			t.Errorf("socket %s of the group received none of the flood: the kernel did not spread it", st.Name)
		}
	}
}

// flood forges floodSize distinct datagrams from victim, one in four from
// vport and the rest from 1000 other ports, keeping the server's queue
// short (a kernel drop would hide what the server does).
// The honest clients' datagrams (honest counts those sent since before)
// are not waited for; the count races with theirs by a few datagrams,
// hence the slack.
func flood(t *testing.T, f *forger, g *guarded, before SocketStats, victim netip.Addr, vport uint16, honest *atomic.Uint64) {
	arrived := func(n int) func(SocketStats) bool {
		return func(s SocketStats) bool {
			return int64(s.DatagramsIn-before.DatagramsIn)-int64(honest.Load()) >= int64(n-8)
		}
	}
	for i := range floodSize {
		port := vport
		if i%4 != 0 {
			port = uint16(30000 + i%1000)
		}
		payload := fmt.Appendf(nil, "flood %d", i)
		if err := f.send(netip.AddrPortFrom(victim, port), g.addr, payload); err != nil {
			t.Fatal(err)
		}
		if i%32 == 31 {
			waitAtLeast(t, g, arrived(i+1))
		}
	}
}

func waitAtLeast(t *testing.T, g *guarded, ok func(SocketStats) bool) {
	for deadline := time.Now().Add(5 * time.Second); !ok(g.stats()); time.Sleep(50 * time.Microsecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the server stopped handling the flood: %+v", g.stats())
		}
	}
}

// pingUntil sends distinct datagrams to server one at a time, pause apart,
// until stop,
// failing the test on any echo that does not come back intact within 2 s;
// it returns how many were echoed.
func pingUntil(t *testing.T, c interface {
	WriteToUDPAddrPort([]byte, netip.AddrPort) (int, error)
	Read([]byte) (int, error)
	SetReadDeadline(time.Time) error
}, server netip.AddrPort, pause time.Duration, stop chan struct{}, sent *atomic.Uint64) int {
	msg, buf := echotest.Payload(64, 9), make([]byte, 128)
	for n := 0; ; n++ {
		select {
		case <-stop:
			return n
		default:
		}
		binary.LittleEndian.PutUint64(msg, uint64(n))
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
		sent.Add(1)
		if _, err := c.WriteToUDPAddrPort(msg, server); err != nil {
			t.Errorf("honest client: %v", err)
			return n
		}
		k, err := c.Read(buf)
		if err == nil {
			err = echotest.Compare(buf[:k], msg)
		}
		if err != nil {
			t.Errorf("honest client, datagram %d: %v", n, err)
			return n
		}
		time.Sleep(pause)
	}
}
