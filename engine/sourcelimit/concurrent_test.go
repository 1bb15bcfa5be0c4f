package sourcelimit

import (
	"net/netip"
	"sync"
	"testing"
)

// TestConcurrent: loops acquiring and releasing the same sources at once
// leave every count at zero (run with -race).
func TestConcurrent(t *testing.T) {
	const perSource, workers, rounds, sources = 3, 4, 5000, 40
	l := mustNew(t, Config{PerSource: perSource, Rate: 1e6, Burst: 1e6})
	src := make([]netip.Addr, sources)
	for i := range src {
		src[i] = netip.AddrFrom4([4]byte{192, 0, 2, byte(i)})
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				s := src[(i*7+w)%sources]
				if ok, r := l.Acquire(s, int64(i)); ok {
					l.Release(s)
				} else if r != PerSource {
					t.Errorf("refused %v", r)
				}
			}
		})
	}
	wg.Wait()
	for _, s := range src {
		for i := range perSource + 1 {
			if ok, _ := l.Acquire(s, int64(rounds)*1e6); ok != (i < perSource) {
				t.Fatalf("%v: acquire %d after the workers: %v (a count leaked)", s, i, ok)
			}
		}
	}
}
