package sourcelimit_test

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/echo-activation/echo-server/engine/sourcelimit"
)

// At connection open, Acquire; refused, close and log if ShouldLog says
// so; admitted, Release at close.
func ExampleLimiter() {
	l, err := sourcelimit.New(sourcelimit.Config{PerSource: 2, Rate: sourcelimit.DefaultRate, Burst: sourcelimit.DefaultBurst})
	if err != nil {
		panic(err)
	}
	src := netip.MustParseAddr("2001:db8:1:2::10")
	now := time.Now().UnixNano()
	for range 3 {
		ok, reason := l.Acquire(src, now)
		fmt.Printf("admitted %v %q log %v\n", ok, reason, !ok && l.ShouldLog(src, now))
	}
	l.Release(src)
	ok, _ := l.Acquire(netip.MustParseAddr("2001:db8:1:2::99"), now) // the same /64
	fmt.Println("after a close:", ok)
	// Output:
	// admitted true "" log false
	// admitted true "" log false
	// admitted false "per_source" log true
	// after a close: true
}
