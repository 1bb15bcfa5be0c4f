package idlewheel

import (
	"context"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// Drive advances w on the event loop el every w.Tick(), until ctx is done
// or el refuses tasks (its engine stopped). It starts one goroutine with
// one timer, which only hands el a task: Advance itself runs on el, as the
// wheel requires. The timer is set again after each tick, so ticks are
// never closer than Tick (gnet's OnTick runs off the loops, on loop 0's
// ticker goroutine, and so cannot drive a wheel per loop).
func Drive[T any](ctx context.Context, el gnet.EventLoop, w *Wheel[T]) {
	task := gnet.RunnableFunc(func(context.Context) error {
		w.Advance(time.Now())
		return nil
	})
	go func() {
		t := time.NewTimer(w.Tick())
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if el.Execute(ctx, task) != nil {
				return
			}
			t.Reset(w.Tick())
		}
	}()
}
