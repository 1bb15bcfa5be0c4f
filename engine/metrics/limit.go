package metrics

import (
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// connLimit bounds the connections being served at once, so that a flood
// of scrapers cannot grow goroutines and buffers without end, while an
// idle or slow client cannot keep another out: when every slot is taken,
// a new connection takes the slot of the connection that has waited
// longest without a request in progress (just accepted and silent, or idle
// between keep-alive requests), which is closed. Only when every slot is
// answering a request is the new connection closed at once. Per-connection
// deadlines (Options.Timeout) bound how long a request can hold a slot.
type connLimit struct {
	max   int
	mu    sync.Mutex
	conns map[net.Conn]connSlot

	evicted, refused atomic.Uint64
}

// connSlot is a tracked connection: busy while a request is being answered,
// otherwise waiting since the given time.
type connSlot struct {
	busy  bool
	since time.Time
}

func newConnLimit(max int) *connLimit {
	return &connLimit{max: max, conns: make(map[net.Conn]connSlot, max)}
}

// admit decides whether c may be served, closing a waiting connection to
// make room when the table is full. It returns false (c closed) when every
// slot is busy.
func (l *connLimit) admit(c net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.conns) >= l.max && !l.evictOldestLocked() {
		_ = c.Close()
		l.refused.Add(1)
		return false
	}
	l.conns[c] = connSlot{since: time.Now()}
	return true
}

func (l *connLimit) evictOldestLocked() bool {
	var oldest net.Conn
	var at time.Time
	for c, s := range l.conns {
		if !s.busy && (oldest == nil || s.since.Before(at)) {
			oldest, at = c, s.since
		}
	}
	if oldest == nil {
		return false
	}
	delete(l.conns, oldest)
	_ = oldest.Close()
	l.evicted.Add(1)
	return true
}

// track is the http.Server ConnState hook: it follows each admitted
// connection from waiting to busy and back, and forgets it once closed.
func (l *connLimit) track(c net.Conn, state http.ConnState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.conns[c]; !ok {
		return // evicted, or closed already
	}
	switch state {
	case http.StateActive:
		l.conns[c] = connSlot{busy: true}
	case http.StateIdle:
		l.conns[c] = connSlot{since: time.Now()}
	case http.StateClosed, http.StateHijacked:
		delete(l.conns, c)
	}
}

// limitedListener admits each accepted connection through a connLimit.
type limitedListener struct {
	net.Listener
	limit *connLimit
}

// Accept returns the next admitted connection; refused ones are closed and
// skipped. Errors are the inner listener's, unchanged, so that http.Server
// backs off on EMFILE as it does on any listener.
func (l limitedListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil || l.limit.admit(c) {
			return c, err
		}
	}
}
