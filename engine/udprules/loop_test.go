package udprules

import (
	"math/rand/v2"
	"testing"
	"time"
	"unsafe"
)

const ms = int64(time.Millisecond)

func TestLoopTableLimit(t *testing.T) {
	tab := newLoopTable(10, int64(time.Second))
	for i := range 10 {
		if tab.arrive(42, int64(i)*ms) {
			t.Fatalf("arrival %d refused", i+1)
		}
	}
	for i := range 5 {
		if !tab.arrive(42, int64(10+i)*ms) {
			t.Fatalf("arrival %d Answered: over the limit of 10", 11+i)
		}
	}
	if tab.arrive(43, 20*ms) || tab.arrive(43, 21*ms) {
		t.Fatal("another key is refused")
	}
	if tab.arrive(42, 1000*ms) {
		t.Fatal("refused in the next window")
	}
}

// TestLoopTablePace: a health checker (5/s) is always answered; a loop
// through a slow peer (20 payloads interleaved, 20/s each) is refused
// within its first second; a loop between two servers after 10 arrivals.
func TestLoopTablePace(t *testing.T) {
	tab := newLoopTable(DefaultLoopLimit, int64(DefaultLoopWindow))
	for i := range 300 { // one minute
		if tab.arrive(7, int64(i)*200*ms) {
			t.Fatalf("health checker refused at probe %d", i)
		}
	}
	caught := map[uint64]int64{}
	for now := int64(0); now < 3000*ms; now += 2500 * int64(time.Microsecond) { // 400/s in all
		j := uint64(now / (2500 * int64(time.Microsecond)) % 20)
		key := j<<52 | j
		if _, done := caught[key]; !done && tab.arrive(key, now) {
			caught[key] = now
		}
	}
	if len(caught) != 20 {
		t.Fatalf("%d of 20 interleaved loops caught", len(caught))
	}
	for key, at := range caught {
		if at > int64(time.Second) {
			t.Errorf("loop %d caught only at %v", key, time.Duration(at))
		}
	}
}

// TestLoopTableFlood: a flood of distinct keys (forged sources) replaces
// only entries seen once: a key that repeats keeps its count.
func TestLoopTableFlood(t *testing.T) {
	tab := newLoopTable(10, int64(time.Second))
	loop := uint64(0xabcdef0123456789)
	tab.arrive(loop, 0)
	tab.arrive(loop, ms)
	for i := range 1 << 20 {
		tab.arrive(rand.Uint64(), 2*ms+int64(i)*100) // 10M/s for 0.1 s
	}
	refusedAt := 0
	for i := 3; i <= 12 && refusedAt == 0; i++ {
		if tab.arrive(loop, 200*ms) {
			refusedAt = i
		}
	}
	if refusedAt != 11 {
		t.Fatalf("refused at arrival %d, want 11: the flood washed the count out", refusedAt)
	}
}

func TestLoopTableMemory(t *testing.T) {
	if got := int(unsafe.Sizeof(loopEntry{})) * 2 * loopSets; got != loopTableBytes {
		t.Fatalf("loop table is %d bytes; loopTableBytes says %d", got, loopTableBytes)
	}
	tab := newLoopTable(10, int64(time.Second))
	for i := range 1 << 20 {
		tab.arrive(rand.Uint64(), int64(i))
	}
	if len(tab.sets) != loopSets {
		t.Fatalf("table grew to %d sets", len(tab.sets))
	}
}
