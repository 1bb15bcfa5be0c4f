package gcra

import "testing"

// TestSpend: a burst passes at once, the next event waits one interval,
// a refusal spends nothing, and an idle bucket fills up again.
func TestSpend(t *testing.T) {
	r := Every(100, 3) // one per 100 ns, burst 3
	var tat int64
	steps := []struct {
		now  int64
		want bool
	}{
		{0, true}, {0, true}, {0, true}, {0, false}, // the burst, then empty
		{50, false}, {100, true}, {100, false}, // one refill per interval
		{1000, true}, {1000, true}, {1000, true}, {1000, false}, // idle: full again
	}
	for i, s := range steps {
		if got := r.Spend(&tat, s.now); got != s.want {
			t.Fatalf("step %d (now %d): Spend = %v, want %v", i, s.now, got, s.want)
		}
	}
}

func TestEveryAndOn(t *testing.T) {
	if (Rate{}).On() {
		t.Fatal("the zero Rate is on")
	}
	if r := Every(0, 2); !r.On() || r.interval != 1 || r.tolerance != 2 {
		t.Fatalf("Every(0, 2) = %+v, want interval 1, tolerance 2", r)
	}
}
