package metrics

import (
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// pipe is a connection for the limit's bookkeeping; closing it is visible
// as a failed write.
func pipe(t *testing.T) net.Conn {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	return a
}

func closed(c net.Conn) bool {
	_ = c.SetWriteDeadline(time.Now().Add(time.Millisecond))
	_, err := c.Write([]byte{1})
	return errors.Is(err, io.ErrClosedPipe)
}

// TestConnLimit: a full table evicts the longest-waiting connection, never
// a busy one, and refuses a newcomer only when all are busy.
func TestConnLimit(t *testing.T) {
	l := newConnLimit(2)
	a, b, c, d, e := pipe(t), pipe(t), pipe(t), pipe(t), pipe(t)
	if !l.admit(a) || !l.admit(b) {
		t.Fatal("first two not admitted")
	}
	l.track(a, http.StateActive)
	l.track(b, http.StateActive)
	if l.admit(c) || !closed(c) || l.refused.Load() != 1 {
		t.Fatal("a newcomer to a table of busy connections was not refused and closed")
	}
	l.track(a, http.StateIdle)
	if !l.admit(d) || !closed(a) || l.evicted.Load() != 1 {
		t.Fatal("the idle connection did not give way")
	}
	if closed(b) {
		t.Fatal("a busy connection was closed")
	}
	l.track(b, http.StateClosed)
	l.track(a, http.StateClosed) // evicted already: ignored
	if !l.admit(e) || l.evicted.Load() != 1 || len(l.conns) != 2 {
		t.Fatalf("after a close: evicted %d, tracked %d", l.evicted.Load(), len(l.conns))
	}
}

// TestConnLimitEvictsOldest: of two waiting connections, the one waiting
// longer goes.
func TestConnLimitEvictsOldest(t *testing.T) {
	l := newConnLimit(2)
	a, b, c := pipe(t), pipe(t), pipe(t)
	l.admit(a)
	l.admit(b)
	l.track(a, http.StateActive)
	l.track(a, http.StateIdle) // a now waits since after b
	l.admit(c)
	if !closed(b) || closed(a) {
		t.Fatal("evicted the newer waiter")
	}
}
