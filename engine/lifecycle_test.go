package engine

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/activation"
	"github.com/echo-activation/echo-server/engine/listen"
)

// newTCPServer is a server (not started) on one tcp4 listener, and the
// listener's address.
func newTCPServer(t *testing.T, opts ...Option) (*Server, string) {
	t.Helper()
	fd, err := listen.Listen("tcp4://127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sockets := AdoptAll([]activation.InheritedFD{fd}, log)
	srv, err := New(sockets, append([]Option{WithLoops(2), WithLogger(log)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return srv, sockets[0].Addr
}

func shutdown(srv *Server) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(ctx)
}

// TestLifecycleOrders: Start, StopAccepting, Shutdown and Done in every
// order that matters, each step with the result it must have. Afterwards
// Done is closed and the listening socket is closed (a connect is
// refused: no other copy of it exists here).
func TestLifecycleOrders(t *testing.T) {
	type step struct {
		name string
		do   func(*Server) error
		want error
	}
	start := func(want error) step { return step{"Start", (*Server).Start, want} }
	stop := step{"Shutdown", shutdown, nil}
	stopAccepting := step{"StopAccepting", func(s *Server) error { s.StopAccepting(); return nil }, nil}
	tests := []struct {
		name  string
		steps []step
	}{
		{"shutdown before start", []step{stop, start(ErrServerClosed), stop}},
		{"start, shutdown twice", []step{start(nil), stop, stop, start(ErrServerClosed)}},
		{"start twice", []step{start(nil), start(ErrStarted), stop}},
		{"stop accepting before start", []step{stopAccepting, start(nil), stop}},
		{"stop accepting twice, then shutdown", []step{start(nil), stopAccepting, stopAccepting, stop, stopAccepting}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, addr := newTCPServer(t)
			for i, st := range tt.steps {
				if err := st.do(srv); !errors.Is(err, st.want) {
					t.Fatalf("step %d (%s): %v, want %v", i+1, st.name, err, st.want)
				}
			}
			checkStopped(t, srv, addr)
		})
	}
}

// checkStopped: Done is closed and nothing listens on addr any more.
func checkStopped(t *testing.T, srv *Server, addr string) {
	t.Helper()
	select {
	case <-srv.Done():
	default:
		t.Fatal("Done not closed after Shutdown")
	}
	c, err := net.Dial("tcp4", addr)
	if err == nil {
		c.Close()
		t.Fatal("the listening socket is still open after Shutdown")
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial after Shutdown: %v, want connection refused", err)
	}
}

// TestLifecycleFailedStart: a Start that serves nothing closes every fd,
// closes Done, and Shutdown after it (twice) is a no-op.
func TestLifecycleFailedStart(t *testing.T) {
	srv, addr := newTCPServer(t)
	srv.sockets[0].Kind = Kind(99) // cannot be served: Start closes it
	if err := srv.Start(); !errors.Is(err, ErrNothingToServe) {
		t.Fatalf("Start: %v, want ErrNothingToServe", err)
	}
	for range 2 {
		if err := shutdown(srv); err != nil {
			t.Fatalf("Shutdown after a failed Start: %v", err)
		}
	}
	if err := srv.Start(); !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Start after Shutdown: %v, want ErrServerClosed", err)
	}
	checkStopped(t, srv, addr)
}

// TestLifecycleConcurrent: Start and several Shutdowns race; each returns
// an allowed result and the server ends stopped.
func TestLifecycleConcurrent(t *testing.T) {
	for range 20 {
		srv, addr := newTCPServer(t)
		var wg sync.WaitGroup
		errs := make(chan error, 9)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Start(); err != nil && !errors.Is(err, ErrServerClosed) {
				errs <- err
			}
		}()
		for range 8 {
			wg.Add(1)
			go func() { defer wg.Done(); errs <- shutdown(srv) }()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		checkStopped(t, srv, addr)
	}
}

// TestDrainWaitsForTheLastConnection: Shutdown returns once the last open
// connection closes, without waiting for its deadline, and connections
// echo while it drains.
func TestDrainWaitsForTheLastConnection(t *testing.T) {
	srv, addr := newTCPServer(t)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	c := dialEcho(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res := make(chan error, 1)
	go func() { res <- srv.Shutdown(ctx) }()
	srv.StopAccepting() // returns once accepting has stopped
	if err := echoOnce(c); err != nil {
		t.Fatalf("echo while draining: %v", err)
	}
	select {
	case err := <-res:
		t.Fatalf("Shutdown returned (%v) with a connection open", err)
	default:
	}
	c.Close()
	if err := <-res; err != nil || ctx.Err() != nil {
		t.Fatalf("Shutdown: %v (ctx %v), want nil before the deadline", err, ctx.Err())
	}
}

// TestDrainErrorCountsOpen: when the drain time runs out, Shutdown reports
// how many connections were open, and closes them.
func TestDrainErrorCountsOpen(t *testing.T) {
	srv, addr := newTCPServer(t)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	conns := []net.Conn{dialEcho(t, addr), dialEcho(t, addr), dialEcho(t, addr)}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := srv.Shutdown(ctx)
	var de *DrainError
	if !errors.As(err, &de) || de.Open != 3 || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown: %v, want a DrainError with 3 open wrapping DeadlineExceeded", err)
	}
	for _, c := range conns {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) && !isReset(err) {
			t.Fatalf("connection after the drain time: %v, want closed", err)
		}
	}
}

// dialEcho connects to addr and checks one echo.
func dialEcho(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := echoOnce(c); err != nil {
		t.Fatal(err)
	}
	return c
}
