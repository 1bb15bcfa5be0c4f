package sourcelimit

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"testing"
)

// smallest is the smallest table: one window per shard.
const smallest = shardCount * window

func v6Source(r *rand.Rand) netip.Addr {
	var a [16]byte
	binary.BigEndian.PutUint64(a[:8], 0x2000_0000_0000_0000|r.Uint64()>>4)
	binary.BigEndian.PutUint64(a[8:], r.Uint64())
	return netip.AddrFrom16(a)
}

func v4Source(r *rand.Rand) netip.Addr {
	var a [4]byte
	binary.BigEndian.PutUint32(a[:], r.Uint32()|1<<24) // never 0.x.x.x, never 127.x (checked below)
	if a[0] == 127 {
		a[0] = 128
	}
	return netip.AddrFrom4(a)
}

// fill acquires one connection for each new random source until the
// table refuses one; it returns the sources admitted.
func fill(t *testing.T, l *Limiter, r *rand.Rand, now int64) []netip.Addr {
	t.Helper()
	var held []netip.Addr
	for range 2 * l.Bytes() / 32 {
		src := v6Source(r)
		ok, reason := l.Acquire(src, now)
		if !ok {
			if reason != TableFull {
				t.Fatalf("source %d: refused %v, want table_full", len(held), reason)
			}
			return held
		}
		held = append(held, src)
	}
	t.Fatalf("%d sources admitted into %d slots", len(held), l.Bytes()/32)
	return nil
}

// TestTableFull: sources holding connections are never evicted; once the
// windows are full of them a new source is refused with table_full, and
// admitted again after they close.
func TestTableFull(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	l := mustNew(t, Config{PerSource: 1, Entries: smallest})
	held := fill(t, l, r, 0)
	t.Logf("%d of %d slots held when the first source was refused", len(held), smallest)
	if len(held) < smallest/4 {
		t.Errorf("table full at %d of %d slots", len(held), smallest)
	}
	for _, src := range held {
		if ok, reason := l.Acquire(src, 0); reason != PerSource {
			t.Fatalf("held source %v: %v, %v; want per_source (its count survived)", src, ok, reason)
		}
		if !l.ShouldLog(src, 0) || l.ShouldLog(src, 1) {
			t.Fatalf("held source %v: not logged exactly once", src)
		}
	}
	refused := fillRefused(t, l, r)
	if !l.ShouldLog(refused, 0) || l.ShouldLog(refused, 1) {
		t.Fatal("a source with no slot was not logged exactly once (the shard's overflow turn)")
	}
	for _, src := range held {
		l.Release(src)
	}
	if ok, reason := l.Acquire(refused, 0); !ok {
		t.Fatalf("after every release, a new source is refused: %v", reason)
	}
}

func fillRefused(t *testing.T, l *Limiter, r *rand.Rand) netip.Addr {
	for range 1000 {
		if src := v6Source(r); func() bool { ok, _ := l.Acquire(src, 0); return !ok }() {
			return src
		}
	}
	t.Fatal("a full table admitted 1000 new sources")
	return netip.Addr{}
}

// TestIdleEvicted: sources that closed their connections but spent rate
// tokens do not lock the table: new sources evict them.
func TestIdleEvicted(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	l := mustNew(t, Config{PerSource: 1, Rate: 1, Burst: 1, Entries: smallest})
	for range 4 * smallest {
		src := v4Source(r)
		if ok, reason := l.Acquire(src, 0); !ok {
			t.Fatalf("idle sources lock out a new one: %v", reason)
		}
		l.Release(src)
	}
}

// TestRateKeptUnderChurn: a source's spent bucket survives newcomers that
// leave nothing behind (here loopback sources, exempt from the rate, each
// closing its connection): they reuse stale slots, not the spent one.
func TestRateKeptUnderChurn(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	l := mustNew(t, Config{PerSource: 10, Rate: 1, Burst: 1, Entries: smallest})
	spent := netip.MustParseAddr("192.0.2.1")
	l.Acquire(spent, 0)
	l.Release(spent)
	for range 20 * smallest {
		src := netip.AddrFrom4([4]byte{127, byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32())})
		if ok, reason := l.Acquire(src, 0); !ok {
			t.Fatalf("loopback newcomer refused: %v", reason)
		}
		l.Release(src)
	}
	if ok, _ := l.Acquire(spent, 5e8); ok {
		t.Fatal("churn of other sources reset a spent bucket")
	}
}
