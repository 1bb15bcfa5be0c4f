package idlewheel

import (
	"math/rand/v2"
	"testing"
	"time"
)

// ms is a time in the tests' clock: milliseconds after the wheel's start.
func ms(n int) time.Time { return time.Unix(0, 0).Add(time.Duration(n) * time.Millisecond) }

// conn is a test connection: when it opens, is active, and closes (-1:
// never); expired is the ms at which the wheel closed it, or -1.
type conn struct {
	open    int
	touches []int
	close   int
	entry   Entry[*conn]
	expired int
}

// simulate runs a 400 ms wheel ticked every 100 ms up to horizon: at each
// ms the tick first (if due), then the connections' events at that ms.
func simulate(conns []*conn, horizon int) {
	w := New(400*time.Millisecond, ms(0), func(c *conn) { c.expired = w0now })
	for _, c := range conns {
		c.expired = -1
	}
	for t := 0; t <= horizon; t++ {
		if t > 0 && t%int(w.Tick()/time.Millisecond) == 0 {
			w0now = t
			w.Advance(ms(t))
		}
		for _, c := range conns {
			switch {
			case c.open == t:
				w.Add(&c.entry, c)
			case c.close == t:
				w.Remove(&c.entry)
			}
			for _, x := range c.touches {
				if x == t {
					w.Touch(&c.entry)
				}
			}
		}
	}
}

// w0now is the ms of the tick being run (the callback's clock).
var w0now int

func TestExpiry(t *testing.T) {
	tests := []struct {
		name        string
		c           conn
		wantExpired int
	}{
		{name: "silent from the start of an epoch", c: conn{open: 0, close: -1}, wantExpired: 500},
		{name: "silent from mid-epoch", c: conn{open: 50, close: -1}, wantExpired: 500},
		{name: "silent from the end of an epoch", c: conn{open: 99, close: -1}, wantExpired: 500},
		{name: "opened on a tick", c: conn{open: 100, close: -1}, wantExpired: 600},
		{name: "one touch", c: conn{open: 0, touches: []int{250}, close: -1}, wantExpired: 700},
		{name: "kept alive, then silent", c: conn{open: 0, touches: []int{150, 300, 450, 600}, close: -1}, wantExpired: 1100},
		{name: "touched twice in one epoch", c: conn{open: 0, touches: []int{310, 390}, close: -1}, wantExpired: 800},
		{name: "closed before its timeout", c: conn{open: 0, close: 300}, wantExpired: -1},
		{name: "closed after a touch", c: conn{open: 0, touches: []int{420}, close: 800}, wantExpired: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.c
			simulate([]*conn{&c}, 3000)
			if c.expired != tt.wantExpired {
				t.Fatalf("expired at %d ms, want %d", c.expired, tt.wantExpired)
			}
			if c.expired < 0 {
				return
			}
			last := c.open
			if n := len(c.touches); n > 0 {
				last = c.touches[n-1]
			}
			if silence := c.expired - last; silence < 400 || silence > 500 {
				t.Fatalf("closed after %d ms of silence, want 400..500 (D..1.25 D)", silence)
			}
		})
	}
}

// TestLateTicks: ticks that come late (100..300 ms apart) delay closes but
// never close an entry before D of silence; the wheel ends empty.
func TestLateTicks(t *testing.T) {
	const d = 400
	rng := rand.New(rand.NewPCG(1, 2))
	type c struct {
		e    Entry[int]
		last int
	}
	conns := make([]c, 200)
	now, early := 0, 0
	var w *Wheel[int]
	w = New(d*time.Millisecond, ms(0), func(i int) {
		if now-conns[i].last < d {
			early++
		}
	})
	for i := range conns {
		w.Add(&conns[i].e, i)
	}
	for range 100 { // bounded: 100 ticks
		next := now + 100 + rng.IntN(201)
		for t := now + 1; t < next; t++ { // traffic between ticks, for the first 8 s
			if i := rng.IntN(len(conns) * 20); i < len(conns) && t < 8000 {
				w.Touch(&conns[i].e)
				conns[i].last = t
			}
		}
		now = next
		w.Advance(ms(now))
	}
	if early > 0 {
		t.Fatalf("%d entries closed before %d ms of silence", early, d)
	}
	if w.Len() != 0 {
		t.Fatalf("%d entries left after 100 ticks of which the last ones were silent", w.Len())
	}
}

// TestRemoveInCallback: onExpire may remove other entries, expired or not.
func TestRemoveInCallback(t *testing.T) {
	var entries [10]Entry[int]
	var w *Wheel[int]
	expired := 0
	w = New(400*time.Millisecond, ms(0), func(i int) {
		expired++
		w.Remove(&entries[(i+1)%len(entries)])
		w.Remove(&entries[i]) // already out: no effect
	})
	for i := range entries {
		w.Add(&entries[i], i)
	}
	for k := 1; k <= 10; k++ {
		w.Advance(ms(100 * k))
	}
	if w.Len() != 0 || expired != len(entries)/2 {
		t.Fatalf("Len %d, %d expired; want 0 and %d (each callback removes the next)", w.Len(), expired, len(entries)/2)
	}
}

// TestAddTwice: adding an entry already in the wheel only touches it.
func TestAddTwice(t *testing.T) {
	var e Entry[int]
	w := New(400*time.Millisecond, ms(0), func(int) {})
	w.Add(&e, 1)
	w.Add(&e, 1)
	if w.Len() != 1 {
		t.Fatalf("Len %d after adding one entry twice, want 1", w.Len())
	}
	w.Remove(&e)
	w.Remove(&e)
	if w.Len() != 0 {
		t.Fatalf("Len %d after removing it twice, want 0", w.Len())
	}
}
