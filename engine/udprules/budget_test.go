package udprules

import (
	"math/rand/v2"
	"testing"
	"time"
	"unsafe"
)

// spend asks for n replies to key at now and returns how many were allowed.
func spend(b *budgetTable, key uint64, now int64, n int) int {
	ok := 0
	for range n {
		if b.allow(key, now) {
			ok++
		}
	}
	return ok
}

func TestBudgetBurstThenRate(t *testing.T) {
	b := newBudgetTable(1000, 10000)
	victim := uint64(0x1234567890abcdef)
	if got := spend(b, victim, 0, 20000); got != 10000 {
		t.Fatalf("burst: %d replies, want 10000", got)
	}
	for sec := int64(1); sec <= 5; sec++ { // a sustained flood: 1000 a second
		if got := spend(b, victim, sec*int64(time.Second), 50000); got != 1000 {
			t.Fatalf("second %d: %d replies, want 1000", sec, got)
		}
	}
	if got := spend(b, 0x42, 5*int64(time.Second), 100); got != 100 {
		t.Fatalf("another address: %d of 100 replies", got)
	}
	if got := spend(b, victim, 16*int64(time.Second), 20000); got != 10000 {
		t.Fatalf("after 10 s idle: %d replies, want the burst again", got)
	}
}

// TestBudgetFloodCannotRefill: forged sources by the million cannot push a
// victim out of the table to get it a fresh burst.
func TestBudgetFloodCannotRefill(t *testing.T) {
	b := newBudgetTable(1000, 10000)
	victim := uint64(0xfedcba9876543210)
	spend(b, victim, 0, 10000)
	for i := range 1 << 20 {
		b.allow(rand.Uint64(), int64(i)*100)
	}
	if got := spend(b, victim, 105*ms, 1000); got > 106 {
		t.Fatalf("%d replies 105 ms after the burst, want at most 106", got)
	}
}

// TestBudgetOverflow: addresses that find their set held share one bucket
// of the same budget.
func TestBudgetOverflow(t *testing.T) {
	b := newBudgetTable(1000, 100)
	set := uint64(7) << 52 // keys with the same top bits share a set
	spend(b, set|1, 0, 100)
	spend(b, set|2, 0, 100)
	if got := spend(b, set|3, 0, 60) + spend(b, set|4, 0, 60); got != 100 {
		t.Fatalf("two overflowing addresses got %d replies, want one burst of 100", got)
	}
	if got := spend(b, 8<<52|5, 0, 100); got != 100 {
		t.Fatalf("an address in another set got %d of 100", got)
	}
	if got := spend(b, set|3, 200*ms, 100); got != 100 {
		t.Fatalf("after the set's buckets refilled: %d of 100", got)
	}
}

func TestBudgetMemory(t *testing.T) {
	if got := int(unsafe.Sizeof(budgetEntry{})) * 2 * budgetSets; got != budgetTableBytes {
		t.Fatalf("budget table is %d bytes; budgetTableBytes says %d", got, budgetTableBytes)
	}
}
