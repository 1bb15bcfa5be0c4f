package engine

import (
	"encoding/binary"
	"io"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestUDPGuardDefaults(t *testing.T) {
	for _, tc := range []struct {
		name       string
		in         UDPGuard
		loop, budg bool
	}{
		{name: "zero value", in: UDPGuard{}, loop: true, budg: true},
		{name: "loop off", in: UDPGuard{LoopLimit: -1}, loop: false, budg: true},
		{name: "budget off", in: UDPGuard{ReplyBudget: -1}, loop: true, budg: false},
		{name: "both off", in: UDPGuard{LoopLimit: -1, ReplyBudget: -1}},
	} {
		g := newUDPGuard(tc.in)
		if (g.loops != nil) != tc.loop || (g.budget != nil) != tc.budg {
			t.Errorf("%s: loop rule %v, budget rule %v", tc.name, g.loops != nil, g.budget != nil)
		}
	}
	g := UDPGuard{}.withDefaults()
	want := UDPGuard{LoopLimit: 10, LoopWindow: time.Second, ReplyBudget: 1000, ReplyBurst: 10000}
	if g != want {
		t.Fatalf("defaults %+v, want %+v", g, want)
	}
}

// TestUDPGuardRules: the rules in order, and loopback sources skip the
// budget but not the loop rule.
func TestUDPGuardRules(t *testing.T) {
	g := newUDPGuard(UDPGuard{ReplyBudget: 1000, ReplyBurst: 5})
	msg := func(i int) []byte { return binary.BigEndian.AppendUint32(nil, uint32(i)) }
	for _, tc := range []struct {
		src       string
		n         int  // datagrams, each distinct unless same
		same      bool // one payload n times
		answered  int
		refused   RefuseReason
		loopbackV bool
	}{
		{src: "192.0.2.1:7", n: 3, refused: RefusedPort},
		{src: "255.255.255.255:5000", n: 3, refused: RefusedAddress},
		{src: "192.0.2.1:5000", n: 8, answered: 5, refused: RefusedBudget},
		{src: "192.0.2.1:5001", n: 3, refused: RefusedBudget}, // the budget is per address, any port
		{src: "192.0.2.2:5000", n: 5, answered: 5},
		{src: "127.0.0.1:5000", n: 1000, answered: 1000}, // loopback: no budget
		{src: "127.0.0.1:5000", n: 15, same: true, answered: 10, refused: RefusedLoop},
		{src: "[::1]:5000", n: 15, same: true, answered: 10, refused: RefusedLoop},
		{src: "[2001:db8::1]:5000", n: 8, answered: 5, refused: RefusedBudget},
	} {
		ap := netip.MustParseAddrPort(tc.src)
		fam := unix.AF_INET6
		if ap.Addr().Is4() {
			fam = unix.AF_INET
		}
		sa, got := rawSockaddr(ap, fam), 0
		g.tick()
		for i := range tc.n {
			p := msg(i)
			if tc.same {
				p = msg(-1)
			}
			switch r := g.check(sa, p); r {
			case answered:
				got++
			case tc.refused:
			default:
				t.Errorf("%s: datagram %d refused for %v, want %v", tc.src, i, r, tc.refused)
			}
		}
		if got != tc.answered {
			t.Errorf("%s: %d of %d answered, want %d", tc.src, got, tc.n, tc.answered)
		}
	}
}

// TestUDPGuardAllocs: judging a datagram allocates nothing, whether it is
// answered or refused (once the refusal's log line is not due).
func TestUDPGuardAllocs(t *testing.T) {
	g := newUDPGuard(UDPGuard{})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	payload := make([]byte, 1024)
	for _, src := range []string{"192.0.2.1:5000", "192.0.2.1:53", "[2001:db8::1]:5000", "127.0.0.1:6000"} {
		ap := netip.MustParseAddrPort(src)
		fam := unix.AF_INET6
		if ap.Addr().Is4() {
			fam = unix.AF_INET
		}
		sa, i := rawSockaddr(ap, fam), uint64(0)
		g.logRefusal(log, "t", RefusedPort, sa)
		allocs := testing.AllocsPerRun(10000, func() {
			i++
			binary.LittleEndian.PutUint64(payload, i)
			g.tick()
			if r := g.check(sa, payload); r != answered {
				g.logRefusal(log, "t", r, sa)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per datagram", src, allocs)
		}
	}
}

func BenchmarkUDPGuardCheck(b *testing.B) {
	for _, size := range []int{64, 1024, 65507} {
		b.Run(sizeName(size), func(b *testing.B) {
			g := newUDPGuard(UDPGuard{})
			sa := rawSockaddr(netip.MustParseAddrPort("127.0.0.1:40000"), unix.AF_INET)
			payload := make([]byte, size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for i := range b.N {
				binary.LittleEndian.PutUint64(payload, uint64(i))
				g.tick()
				_ = g.check(sa, payload)
			}
		})
	}
}

func TestPayloadHash(t *testing.T) {
	seed := newUDPGuard(UDPGuard{}).seed
	big := func(n int, at int) []byte { p := make([]byte, n); p[at]++; return p }
	for _, tc := range []struct {
		name string
		a, b []byte
		same bool
	}{
		{name: "equal small", a: []byte("abc"), b: []byte("abc"), same: true},
		{name: "small", a: []byte("abc"), b: []byte("abd")},
		{name: "4 KiB, last byte", a: big(4096, 4095), b: big(4096, 4094)},
		{name: "64 KiB equal", a: big(65507, 9), b: big(65507, 9), same: true},
		{name: "64 KiB head", a: big(65507, 0), b: big(65507, 1)},
		{name: "64 KiB tail", a: big(65507, 65506), b: big(65507, 65505)},
		{name: "64 KiB length", a: big(65507, 0), b: big(65506, 0)},
		{name: "64 KiB middle: not sampled", a: big(65507, 30000), b: big(65507, 30001), same: true},
	} {
		if got := payloadHash(seed, tc.a) == payloadHash(seed, tc.b); got != tc.same {
			t.Errorf("%s: same hash %v, want %v", tc.name, got, tc.same)
		}
	}
}
