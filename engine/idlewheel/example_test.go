package idlewheel_test

import (
	"fmt"
	"time"

	"github.com/echo-activation/echo-server/engine/idlewheel"
)

// A wheel of 400 ms, advanced every 100 ms: the connection that spoke at
// 250 ms is closed at 700 ms, the silent one at 500 ms.
func Example() {
	start := time.Unix(0, 0)
	at := func(ms int) time.Time { return start.Add(time.Duration(ms) * time.Millisecond) }
	w := idlewheel.New(400*time.Millisecond, start, func(name string) { fmt.Println("close", name) })
	var silent, talker idlewheel.Entry[string]
	w.Add(&silent, "silent")
	w.Add(&talker, "talker")
	for ms := 100; ms <= 800; ms += 100 {
		fmt.Println(ms, "ms:")
		w.Advance(at(ms))
		if ms == 200 {
			w.Touch(&talker) // traffic between the ticks at 200 and 300 ms
		}
	}
	// Output:
	// 100 ms:
	// 200 ms:
	// 300 ms:
	// 400 ms:
	// 500 ms:
	// close silent
	// 600 ms:
	// 700 ms:
	// close talker
	// 800 ms:
}
