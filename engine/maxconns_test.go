package engine

import (
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest"
)

// admitted reports whether the server took c on: its echo comes back, or
// the server closes it at once (rejected over MaxConns).
func admitted(t *testing.T, c net.Conn) bool {
	t.Helper()
	err := echotest.Stream(c, []byte("in?"), 10*time.Second)
	if err == nil {
		return true
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || isReset(err) {
		return false
	}
	t.Fatalf("neither echoed nor closed: %v", err)
	return false
}

func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// waitOpen waits until the server counts n open connections.
func waitOpen(t *testing.T, srv *Server, n int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for srv.Open() != n {
		if time.Now().After(deadline) {
			t.Fatalf("open = %d, want %d", srv.Open(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestMaxConnsSequentialRounds: MaxConns connections opened one after
// another are all admitted and the next one is refused, round after round.
// The old accept path counted a connection twice for a moment (enrolling
// and open), so the last admitted one was sometimes refused.
func TestMaxConnsSequentialRounds(t *testing.T) {
	const max, rounds = 5, 60
	srv, stats := startServerWith(t, []Option{WithMaxConns(max)}, "tcp4://127.0.0.1:0")
	for r := range rounds {
		var held []net.Conn
		for i := range max + 1 {
			c, err := net.Dial("tcp4", stats[0].Addr)
			if err != nil {
				t.Fatal(err)
			}
			held = append(held, c)
			if got, want := admitted(t, c), i < max; got != want {
				t.Fatalf("round %d, connection %d of max %d: admitted %v", r, i+1, max, got)
			}
		}
		for _, c := range held {
			c.Close()
		}
		waitOpen(t, srv, 0)
	}
	if got := srv.Stats()[0].Rejected; got != rounds {
		t.Fatalf("rejected = %d, want %d", got, rounds)
	}
}

// TestMaxConnsConcurrent: of many clients connecting at once, exactly
// MaxConns are admitted.
func TestMaxConnsConcurrent(t *testing.T) {
	const max, clients, rounds = 20, 60, 10
	srv, stats := startServerWith(t, []Option{WithMaxConns(max)}, "tcp4://127.0.0.1:0")
	for r := range rounds {
		conns := make([]net.Conn, clients)
		for i := range conns {
			c, err := net.Dial("tcp4", stats[0].Addr)
			if err != nil {
				t.Fatal(err)
			}
			conns[i] = c
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		in := 0
		for _, c := range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if admitted(t, c) {
					mu.Lock()
					in++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		for _, c := range conns {
			c.Close()
		}
		if in != max {
			t.Fatalf("round %d: %d of %d clients admitted, want exactly %d", r, in, clients, max)
		}
		waitOpen(t, srv, 0)
	}
}

func echoOnce(c net.Conn) error { return echotest.Stream(c, []byte("ping"), 10*time.Second) }
