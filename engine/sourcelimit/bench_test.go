package sourcelimit

import (
	"math/rand/v2"
	"net/netip"
	"sync/atomic"
	"testing"
)

// BenchmarkAcquireRelease: one connection opened and closed per op, from
// every CPU at once, under the default limits: all from one source (one
// shard's lock, contended) or spread over 100k sources.
func BenchmarkAcquireRelease(b *testing.B) {
	r := rand.New(rand.NewPCG(9, 10))
	many := make([]netip.Addr, 100_000)
	for i := range many {
		many[i] = v6Source(r)
	}
	for _, bc := range []struct {
		name    string
		sources []netip.Addr
	}{
		{"1source", []netip.Addr{netip.MustParseAddr("2001:db8::1")}},
		{"100ksources", many},
	} {
		b.Run(bc.name, func(b *testing.B) {
			l := mustNew(b, Config{PerSource: DefaultPerSource(0, 1<<20), Rate: 1e9, Burst: 1e9})
			var next atomic.Int64
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := int(next.Add(7919))
				for pb.Next() {
					src := bc.sources[i%len(bc.sources)]
					if ok, reason := l.Acquire(src, int64(i)); !ok {
						b.Fatal(reason)
					}
					l.Release(src)
					i++
				}
			})
		})
	}
}
