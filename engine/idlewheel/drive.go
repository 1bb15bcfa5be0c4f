package idlewheel

import (
	"context"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// Drive advances w on the event loop el every w.Tick(), until ctx is done
// or el refuses tasks (its engine stopped). It starts one goroutine with
// one timer, which only hands el a task: Advance itself runs on el, as the
// wheel requires (gnet's OnTick runs off the loops, on loop 0's ticker
// goroutine, and so cannot drive a wheel per loop). The ticks keep a fixed
// schedule, start + k × Tick, so that lateness does not add up over the
// Ticks+1 ticks of a close; a tick more than a Tick late starts the
// schedule again from now. A short interval after a late tick cannot close
// anything early: Advance checks the clock.
func Drive[T any](ctx context.Context, el gnet.EventLoop, w *Wheel[T]) {
	task := gnet.RunnableFunc(func(context.Context) error {
		w.Advance(time.Now())
		return nil
	})
	go func() {
		tick := w.Tick()
		next := time.Now().Add(tick)
		t := time.NewTimer(tick)
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
			if next = next.Add(tick); time.Until(next) <= 0 {
				next = time.Now().Add(tick)
			}
			t.Reset(time.Until(next))
		}
	}()
}
