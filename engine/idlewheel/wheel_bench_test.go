package idlewheel

import (
	"testing"
	"time"
)

// BenchmarkTouch is the cost on every message: one store.
func BenchmarkTouch(b *testing.B) {
	w := New(time.Second, ms(0), func(int) {})
	var e Entry[int]
	w.Add(&e, 1)
	b.ReportAllocs()
	for b.Loop() {
		w.Touch(&e)
	}
}

// BenchmarkAddRemove is the cost of a connection's open and close.
func BenchmarkAddRemove(b *testing.B) {
	w := New(time.Second, ms(0), func(int) {})
	var e Entry[int]
	b.ReportAllocs()
	for b.Loop() {
		w.Add(&e, 1)
		w.Remove(&e)
	}
}

// BenchmarkAdvance10k is one tick of a loop holding 10,000 connections:
// all active (each tick files a fifth of them again) or all silent (each
// tick closes a fifth, and they are added back at once). ns/op is per tick.
func BenchmarkAdvance10k(b *testing.B) {
	for _, bc := range []struct {
		name   string
		active bool
	}{{"active", true}, {"silent", false}} {
		b.Run(bc.name, func(b *testing.B) {
			const n = 10000
			entries := make([]Entry[int], n)
			var w *Wheel[int]
			w = New(400*time.Millisecond, ms(0), func(i int) { w.Add(&entries[i], i) })
			for i := range entries {
				w.Add(&entries[i], i)
			}
			tick := 0
			b.ReportAllocs()
			for b.Loop() {
				if bc.active {
					for i := range entries {
						w.Touch(&entries[i])
					}
				}
				tick++
				w.Advance(ms(100 * tick))
			}
			if w.Len() != n {
				b.Fatalf("Len %d, want %d", w.Len(), n)
			}
		})
	}
}
