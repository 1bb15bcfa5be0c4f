package sourcelimit

import (
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// TestMillionSources: a million distinct sources (random IPv6 /64s, then
// random IPv4 addresses), each acquiring and releasing a connection under
// the default limits, grow the heap by no more than the stated bound (plus
// slack for the runtime) and the RSS by no more than the bound plus 1 MiB,
// and none is refused.
func TestMillionSources(t *testing.T) {
	if testing.Short() {
		t.Skip("a million sources: not in -short")
	}
	const n, slack, rssSlackKiB = 1_000_000, 256 << 10, 1024
	r := rand.New(rand.NewPCG(7, 8))
	before, rssBefore := heapInuse(), rssKiB(t)
	l := mustNew(t, Config{PerSource: DefaultPerSource(0, 1<<20), Rate: DefaultRate, Burst: DefaultBurst})
	afterNew := heapInuse()
	refused := 0
	for i := range n {
		src := v6Source(r)
		if i >= n/2 {
			src = v4Source(r)
		}
		ok, _ := l.Acquire(src, int64(i)*1000)
		if !ok {
			refused++
			continue
		}
		l.Release(src)
	}
	after, rssAfter := heapInuse(), rssKiB(t)
	runtime.KeepAlive(l)
	t.Logf("bound %d B; heap in use +%d B at New, +%d B after %d sources; RSS +%d KiB", l.Bytes(),
		afterNew-before, after-before, n, rssAfter-rssBefore)
	if grown := after - before; grown > uint64(l.Bytes())+slack || refused > 0 {
		t.Fatalf("heap grew %d B (bound %d + %d slack); %d sources refused", grown, l.Bytes(), slack, refused)
	}
	// The process's RSS, the number an operator sees: the table, touched
	// whole, plus at most 1 MiB of the runtime's own (GC, stacks); under
	// the race detector, its shadow of the table too.
	if grown, bound := rssAfter-rssBefore, rssPerByte*l.Bytes()/1024+rssSlackKiB; rssBefore > 0 && grown > bound {
		t.Fatalf("RSS grew %d KiB, bound %d KiB", grown, bound)
	}
}

func heapInuse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// rssKiB reads VmRSS from /proc/self/status (0 where there is none).
func rssKiB(t *testing.T) int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kib, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				t.Fatalf("VmRSS %q: %v", v, err)
			}
			return kib
		}
	}
	return 0
}
