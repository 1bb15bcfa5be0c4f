package loadgen

import "time"

// pauses holds the ping-pong connections waiting out Config.Pause before
// their next request. Every wait is the same length, so they fall due in
// the order they were filed: a queue, not a heap.
type pauses struct {
	q    []paused
	head int
}

type paused struct {
	s   *stream
	due time.Time
}

func (p *pauses) add(s *stream, due time.Time) { p.q = append(p.q, paused{s, due}) }

// next is when the first pause ends; ok is false when none waits.
func (p *pauses) next() (time.Time, bool) {
	if p.head == len(p.q) {
		return time.Time{}, false
	}
	return p.q[p.head].due, true
}

// due calls f for each connection whose pause has ended by now, in order.
func (p *pauses) due(now time.Time, f func(*stream)) {
	for p.head < len(p.q) && !p.q[p.head].due.After(now) {
		s := p.q[p.head].s
		p.q[p.head] = paused{}
		p.head++
		f(s)
	}
	if p.head > 1024 && p.head*2 > len(p.q) { // reuse the front of the slice
		p.q = p.q[:copy(p.q, p.q[p.head:])]
		p.head = 0
	}
}
