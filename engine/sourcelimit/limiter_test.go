package sourcelimit

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

func mustNew(t testing.TB, c Config) *Limiter {
	t.Helper()
	l, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

type step struct {
	op   string // "acquire", "release", "log"
	src  string
	at   time.Duration
	want Reason // acquire: the reason; log: Admitted for yes, Rate for no
}

func run(t *testing.T, l *Limiter, steps []step) {
	t.Helper()
	for i, s := range steps {
		src, now := netip.MustParseAddr(s.src), int64(s.at)
		switch s.op {
		case "acquire":
			if ok, r := l.Acquire(src, now); r != s.want || ok != (r == Admitted) {
				t.Fatalf("step %d: Acquire(%s, %v) = %v, %q; want %q", i, s.src, s.at, ok, r, s.want)
			}
		case "release":
			l.Release(src)
		case "log":
			if got := l.ShouldLog(src, now); got != (s.want == Admitted) {
				t.Fatalf("step %d: ShouldLog(%s, %v) = %v", i, s.src, s.at, got)
			}
		}
	}
}

func acq(src string, at time.Duration, want Reason) step { return step{"acquire", src, at, want} }
func rel(src string) step                                { return step{op: "release", src: src} }
func logs(src string, at time.Duration, yes bool) step {
	if yes {
		return step{"log", src, at, Admitted}
	}
	return step{"log", src, at, Rate}
}

func TestLimiter(t *testing.T) {
	const a, a2, b, lo = "2001:db8:0:1::1", "2001:db8:0:1::2", "2001:db8:0:2::1", "127.0.0.1"
	tests := []struct {
		name  string
		cfg   Config
		steps []step
	}{
		{"off", Config{}, []step{acq(a, 0, Admitted), acq(a, 0, Admitted), rel(a), rel(a), rel(a)}},
		{"cap", Config{PerSource: 2}, []step{
			acq(a, 0, Admitted), acq(a2, 0, Admitted), acq(a, 0, PerSource), acq(b, 0, Admitted),
			rel(a2), acq(a2, 0, Admitted), acq(a, 0, PerSource), rel(a), rel(a), rel(a), acq(a, 0, Admitted)}},
		{"cap counts loopback", Config{PerSource: 1}, []step{
			acq(lo, 0, Admitted), acq("127.0.0.1", 0, PerSource), acq("::ffff:127.0.0.1", 0, PerSource),
			acq("::1", 0, Admitted), rel(lo), acq(lo, 0, Admitted)}},
		{"release without acquire", Config{PerSource: 1}, []step{
			rel(a), rel(a), acq(a, 0, Admitted), acq(a, 0, PerSource), rel(a), rel(a), acq(a, 0, Admitted), acq(a, 0, PerSource)}},
		{"unix peer", Config{PerSource: 1, Rate: 1, Burst: 1}, nil},
		{"rate", Config{Rate: 10, Burst: 3}, []step{
			acq(a, 0, Admitted), acq(a, 0, Admitted), acq(a2, 0, Admitted), acq(a, 0, Rate), acq(b, 0, Admitted),
			acq(a, 99*time.Millisecond, Rate), acq(a, 100*time.Millisecond, Admitted), acq(a, 100*time.Millisecond, Rate),
			acq(a, time.Second, Admitted), acq(a, time.Second, Admitted), acq(a, time.Second, Admitted), acq(a, time.Second, Rate)}},
		{"rate exempts loopback", Config{Rate: 1, Burst: 1}, []step{
			acq(lo, 0, Admitted), acq(lo, 0, Admitted), acq("::1", 0, Admitted), acq("::ffff:127.1.2.3", 0, Admitted),
			acq("192.0.2.1", 0, Admitted), acq("::ffff:192.0.2.1", 0, Rate)}},
		{"cap refusal spends no token", Config{PerSource: 1, Rate: 1, Burst: 2}, []step{
			acq(a, 0, Admitted), acq(a, 0, PerSource), acq(a, 0, PerSource), rel(a), acq(a, 0, Admitted), rel(a), acq(a, 0, Rate)}},
		{"rate refusal counts nothing", Config{PerSource: 1, Rate: 1, Burst: 1}, []step{
			acq(a, 0, Admitted), rel(a), acq(a, 0, Rate), acq(a, time.Second, Admitted), acq(a, time.Second, PerSource)}},
		{"log once per interval", Config{LogInterval: time.Second}, []step{
			logs(a, 0, true), logs(a, 0, false), logs(a2, 999*time.Millisecond, false), logs(b, 0, true),
			logs(a, time.Second, true), logs(a, 1500*time.Millisecond, false), logs(lo, 0, true), logs(lo, 1, false)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := mustNew(t, tt.cfg)
			run(t, l, tt.steps)
			for range 3 {
				if ok, r := l.Acquire(netip.Addr{}, 0); !ok {
					t.Fatalf("invalid source refused: %v", r)
				}
			}
		})
	}
}

func TestNilLimiter(t *testing.T) {
	var l *Limiter
	src := netip.MustParseAddr("192.0.2.1")
	if ok, r := l.Acquire(src, 0); !ok || r != Admitted {
		t.Fatalf("nil Acquire = %v, %v", ok, r)
	}
	l.Release(src)
	if l.ShouldLog(src, 0) {
		t.Fatal("nil ShouldLog said yes")
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		cfg  Config
		want string
	}{
		{Config{PerSource: -1}, "per-source cap -1"},
		{Config{PerSource: 1 << 31}, "per-source cap"},
		{Config{Rate: -1}, "rate -1"},
		{Config{Rate: 1}, "burst 0"},
		{Config{Rate: 1, Burst: -5}, "burst -5"},
		{Config{IPv4Prefix: 33}, "IPv4 prefix /33"},
		{Config{IPv6Prefix: 65}, "IPv6 prefix /65"},
		{Config{IPv6Prefix: -1}, "IPv6 prefix /-1"},
		{Config{Entries: MaxEntries + 1}, "table of"},
		{Config{LogInterval: -time.Second}, "log interval"},
	}
	for _, tt := range tests {
		if _, err := New(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%+v) error = %v, want %q", tt.cfg, err, tt.want)
		}
	}
}

func TestDefaultPerSource(t *testing.T) {
	tests := []struct{ maxConns, fdLimit, want int }{
		{600, 1024, 150}, {0, 1048576, 262144}, {0, 1024, 256}, {3, 0, 1}, {0, 0, 1},
	}
	for _, tt := range tests {
		if got := DefaultPerSource(tt.maxConns, tt.fdLimit); got != tt.want {
			t.Errorf("DefaultPerSource(%d, %d) = %d, want %d", tt.maxConns, tt.fdLimit, got, tt.want)
		}
	}
}

func TestBytes(t *testing.T) {
	tests := []struct{ entries, slots int }{{0, DefaultEntries}, {1, shardCount * window}, {100000, 1 << 17}}
	for _, tt := range tests {
		l := mustNew(t, Config{Entries: tt.entries})
		if got, want := l.Bytes(), tt.slots*32+shardCount*64; got < want || got > want+256 {
			t.Errorf("Entries %d: Bytes() = %d, want %d slots: %d + a header", tt.entries, got, tt.slots, want)
		}
	}
}

// TestNoAllocs: Acquire, Release and ShouldLog allocate nothing.
func TestNoAllocs(t *testing.T) {
	l := mustNew(t, Config{PerSource: 10, Rate: 1e6, Burst: 10})
	srcs := []netip.Addr{netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("::1")}
	now := int64(0)
	n := testing.AllocsPerRun(1000, func() {
		for _, s := range srcs {
			now += 1e6
			if ok, _ := l.Acquire(s, now); ok {
				l.Release(s)
			}
			l.ShouldLog(s, now)
		}
	})
	if n != 0 {
		t.Fatalf("%v allocations per round", n)
	}
}
