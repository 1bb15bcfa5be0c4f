// Package idlewheel closes silent connections without a runtime timer per
// connection: one coarse wheel per event loop, advanced by a tick that runs
// on that loop, and a touch on traffic that is one store.
//
// The wheel counts epochs: each Advance call starts one and records its
// time. Touch stamps an entry with the current epoch. Each entry sits in
// one of a few slots, the one for the epoch in which it may first be due;
// Advance looks only at the slot of the epoch it starts, and closes an
// entry whose silence, measured from the start of the epoch after its
// stamp (an upper bound of its last activity), has reached the timeout D;
// the others it files again for the epoch when they may be due. So no
// entry is ever closed before D of silence, whatever the ticks do, and,
// with Advance called every D/Ticks, a silent entry is closed after
// between D and (1 + 1/Ticks) D: with Ticks = 4, between D and 1.25 D, the
// server's contract. Late ticks delay a close by their lateness.
//
// A wheel belongs to one goroutine (the event loop whose connections it
// holds; gnet runs OnOpen, OnTraffic, OnClose and the tasks handed to
// EventLoop.Execute there), so nothing in it locks. Touch, Add and Remove
// are O(1) and allocation-free; Advance examines each live entry about
// once per timeout, plus the ones it closes.
package idlewheel

import "time"

// Ticks is the number of Advance calls per timeout: a silent entry is
// closed after between D and (1 + 1/Ticks) D.
const Ticks = 4

// slotCount: an entry is filed at most Ticks+1 epochs ahead (Add), so no
// entry is ever filed into the slot being examined.
const slotCount = Ticks + 2

// startsKept is how many epoch start times the wheel remembers; an entry
// whose stamp is older is judged by the oldest kept (later than its own,
// so the judgement can only be late, never early).
const startsKept = 16

// Entry is one connection's place in a wheel: embed it (or point to it)
// from the connection's context so that Touch needs no lookup. The zero
// value is an entry in no wheel.
type Entry[T any] struct {
	Value      T
	next, prev *Entry[T]
	stamp      uint64 // the epoch of the last Touch or Add
	filed      bool   // in one of the wheel's slots
}

// Wheel holds the entries of one event loop. Create it with New.
type Wheel[T any] struct {
	timeout  time.Duration
	epoch    uint64
	starts   [startsKept]time.Time // starts[e % startsKept]: when epoch e started
	slots    [slotCount]Entry[T]   // list heads (sentinels) of the entries due in epoch e % slotCount
	n        int
	onExpire func(T)
}

// New returns an empty wheel for timeout d > 0 whose epoch 0 starts at
// start. onExpire is called, from Advance, for each entry it closes; the
// entry has left the wheel by then.
func New[T any](d time.Duration, start time.Time, onExpire func(T)) *Wheel[T] {
	w := &Wheel[T]{timeout: d, onExpire: onExpire}
	w.starts[0] = start
	for i := range w.slots {
		h := &w.slots[i]
		h.next, h.prev = h, h
	}
	return w
}

// Tick is how often Advance should be called: D / Ticks.
func (w *Wheel[T]) Tick() time.Duration { return w.timeout / Ticks }

// Len returns the number of entries in the wheel.
func (w *Wheel[T]) Len() int { return w.n }

// Add puts e, holding v, in the wheel as just active. An entry already in
// the wheel is only touched.
func (w *Wheel[T]) Add(e *Entry[T], v T) {
	e.Value = v
	e.stamp = w.epoch
	if !e.filed {
		w.file(e, w.epoch+Ticks+1)
		w.n++
	}
}

// Touch marks e active now: one store, no allocation, no lookup.
func (w *Wheel[T]) Touch(e *Entry[T]) { e.stamp = w.epoch }

// Remove takes e out of the wheel (the connection closed); an entry not in
// the wheel (never added, removed, or expired) is left alone.
func (w *Wheel[T]) Remove(e *Entry[T]) {
	if e.filed {
		w.unlink(e)
		w.n--
	}
}

// Advance starts the next epoch at now and closes the entries that have
// been silent for the timeout; it returns how many it closed. onExpire may
// Remove any entry.
func (w *Wheel[T]) Advance(now time.Time) int {
	w.epoch++
	w.starts[w.epoch%startsKept] = now
	h := &w.slots[w.epoch%slotCount]
	closed := 0
	for h.next != h { // each entry leaves this slot: closed, or filed ahead
		e := h.next
		w.unlink(e)
		if w.expired(e, now) {
			w.n--
			closed++
			w.onExpire(e.Value)
		} else {
			w.file(e, w.dueEpoch(e))
		}
	}
	return closed
}

// expired: the silence since the start of the epoch after e's stamp (the
// latest its last activity can have been) has reached the timeout.
func (w *Wheel[T]) expired(e *Entry[T], now time.Time) bool {
	after := e.stamp + 1 // <= w.epoch: e was stamped before this epoch began
	if w.epoch-after >= startsKept {
		after = w.epoch - startsKept + 1 // the oldest start kept: later than e's own
	}
	return now.Sub(w.starts[after%startsKept]) >= w.timeout
}

// dueEpoch is the epoch in which e may first be due: Ticks+1 after its
// stamp when the ticks are regular, and at least the next one (so
// between 1 and Ticks epochs ahead, never the slot being examined).
func (w *Wheel[T]) dueEpoch(e *Entry[T]) uint64 {
	return max(e.stamp+Ticks+1, w.epoch+1)
}

func (w *Wheel[T]) file(e *Entry[T], epoch uint64) {
	h := &w.slots[epoch%slotCount]
	e.prev, e.next = h.prev, h
	h.prev.next = e
	h.prev = e
	e.filed = true
}

func (w *Wheel[T]) unlink(e *Entry[T]) {
	e.prev.next = e.next
	e.next.prev = e.prev
	e.next, e.prev = nil, nil
	e.filed = false
}
