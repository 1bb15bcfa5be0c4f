package udprules

import (
	"encoding/binary"
	"net/netip"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestGuardDefaults(t *testing.T) {
	for _, tc := range []struct {
		name       string
		in         Config
		loop, budg bool
	}{
		{name: "zero value", in: Config{}, loop: true, budg: true},
		{name: "loop off", in: Config{LoopLimit: -1}, loop: false, budg: true},
		{name: "budget off", in: Config{ReplyBudget: -1}, loop: true, budg: false},
		{name: "both off", in: Config{LoopLimit: -1, ReplyBudget: -1}},
	} {
		g := New(tc.in)
		if (g.loops != nil) != tc.loop || (g.budget != nil) != tc.budg {
			t.Errorf("%s: loop rule %v, budget rule %v", tc.name, g.loops != nil, g.budget != nil)
		}
	}
	g := Config{}.withDefaults()
	want := Config{LoopLimit: 10, LoopWindow: time.Second, ReplyBudget: 1000, ReplyBurst: 10000}
	if g != want {
		t.Fatalf("defaults %+v, want %+v", g, want)
	}
}

// TestGuardRules: the rules in order, and loopback sources skip the
// budget but not the loop rule.
func TestGuardRules(t *testing.T) {
	g := New(Config{ReplyBudget: 1000, ReplyBurst: 5})
	msg := func(i int) []byte { return binary.BigEndian.AppendUint32(nil, uint32(i)) }
	for _, tc := range []struct {
		src       string
		n         int  // datagrams, each distinct unless same
		same      bool // one payload n times
		answered  int
		refused   Reason
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
		_, sa := senderSockaddr(tc.src)
		got, now := 0, g.Now()
		for i := range tc.n {
			p := msg(i)
			if tc.same {
				p = msg(-1)
			}
			switch r := g.Check(sa, p, now); r {
			case Answered:
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

// TestGuardAllocs: judging a datagram allocates nothing, whether it is
// answered or refused.
func TestGuardAllocs(t *testing.T) {
	g := New(Config{})
	payload := make([]byte, 1024)
	for _, src := range []string{"192.0.2.1:5000", "192.0.2.1:53", "[2001:db8::1]:5000", "127.0.0.1:6000"} {
		_, sa := senderSockaddr(src)
		i := uint64(0)
		allocs := testing.AllocsPerRun(10000, func() {
			i++
			binary.LittleEndian.PutUint64(payload, i)
			_ = g.Check(sa, payload, g.Now())
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per datagram", src, allocs)
		}
	}
}

func BenchmarkGuardCheck(b *testing.B) {
	for _, size := range []int{64, 1024, 65507} {
		b.Run(strconv.Itoa(size)+"B", func(b *testing.B) {
			g := New(Config{})
			sa := rawSockaddr(netip.MustParseAddrPort("127.0.0.1:40000"), unix.AF_INET)
			payload := make([]byte, size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for i := range b.N {
				binary.LittleEndian.PutUint64(payload, uint64(i))
				_ = g.Check(sa, payload, g.Now())
			}
		})
	}
}

// BenchmarkGuardShared: the check of a 64-byte datagram from one loop
// ("single") against GOMAXPROCS loops sharing the guard ("shared"), with
// every datagram from one address (its loop and budget entries in one
// stripe each: the worst case) or from distinct addresses.
func BenchmarkGuardShared(b *testing.B) {
	for _, tc := range []struct {
		name   string
		shared bool
		addrs  int
	}{
		{name: "single/one-address", addrs: 1},
		{name: "shared/one-address", shared: true, addrs: 1},
		{name: "single/1024-addresses", addrs: 1024},
		{name: "shared/1024-addresses", shared: true, addrs: 1024},
	} {
		b.Run(tc.name, func(b *testing.B) {
			g := New(Config{ReplyBudget: 1 << 30, ReplyBurst: 1 << 30})
			var srcs []*unix.RawSockaddrAny
			for i := range tc.addrs {
				ap := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), 40000)
				srcs = append(srcs, rawSockaddr(ap, unix.AF_INET))
			}
			var loops atomic.Uint64
			check := func(payload []byte, i uint64) {
				binary.LittleEndian.PutUint64(payload, i)
				_ = g.Check(srcs[i%uint64(len(srcs))], payload, g.Now())
			}
			b.ReportAllocs()
			if !tc.shared {
				payload := make([]byte, 64)
				for i := range b.N {
					check(payload, uint64(i))
				}
				return
			}
			b.RunParallel(func(pb *testing.PB) {
				payload, i := make([]byte, 64), loops.Add(1)<<40 // distinct payloads per loop
				for ; pb.Next(); i++ {
					check(payload, i)
				}
			})
		})
	}
}

func TestPayloadHash(t *testing.T) {
	seed := New(Config{}).seed
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
