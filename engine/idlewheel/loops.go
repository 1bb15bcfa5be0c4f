package idlewheel

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// Loops is a wheel per gnet event loop, made and driven on first use. The
// zero value is not usable; create it with NewLoops. For is safe from any
// loop at once; each wheel it returns belongs to that loop.
type Loops[T any] struct {
	timeout  time.Duration
	onExpire func(T)
	ctx      context.Context
	stop     context.CancelFunc

	mu     sync.Mutex                     // held only to add a loop
	wheels atomic.Pointer[[]loopWheel[T]] // copied on write: read without a lock
}

type loopWheel[T any] struct {
	el gnet.EventLoop
	w  *Wheel[T]
}

// NewLoops returns a registry of wheels of timeout d, each closing its
// silent entries with onExpire on its own loop.
func NewLoops[T any](d time.Duration, onExpire func(T)) *Loops[T] {
	ctx, stop := context.WithCancel(context.Background())
	return &Loops[T]{timeout: d, onExpire: onExpire, ctx: ctx, stop: stop}
}

// For returns el's wheel, making it and starting its Drive the first time.
// Call it on el (from OnOpen): the wheel is el's alone.
func (l *Loops[T]) For(el gnet.EventLoop) *Wheel[T] {
	if w := l.find(el); w != nil {
		return w
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if w := l.find(el); w != nil {
		return w
	}
	w := New(l.timeout, time.Now(), l.onExpire)
	var next []loopWheel[T]
	if old := l.wheels.Load(); old != nil {
		next = append(next, *old...)
	}
	next = append(next, loopWheel[T]{el, w})
	l.wheels.Store(&next)
	Drive(l.ctx, el, w)
	return w
}

func (l *Loops[T]) find(el gnet.EventLoop) *Wheel[T] {
	if ws := l.wheels.Load(); ws != nil {
		for _, lw := range *ws {
			if lw.el == el {
				return lw.w
			}
		}
	}
	return nil
}

// Stop ends every wheel's Drive (a stopped loop ends its own at its next
// tick anyway). It is safe on a nil Loops and more than once.
func (l *Loops[T]) Stop() {
	if l != nil {
		l.stop()
	}
}
