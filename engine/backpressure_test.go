package engine

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest"
)

// TestHalfCloseGetsEverything: a client that writes, shuts down its write
// side and reads only later still gets every byte back, then EOF (on the
// private path: the fallback would close it, see backpressure.go).
func TestHalfCloseGetsEverything(t *testing.T) {
	srv, stats := startServer(t, "tcp4://127.0.0.1:0")
	requirePrivate(t, srv)
	c, err := net.Dial("tcp4", stats[0].Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	msg := echotest.Payload(24<<20, 5) // more than the kernel buffers hold
	go func() {
		_, _ = c.Write(msg)
		_ = c.(*net.TCPConn).CloseWrite()
	}()
	time.Sleep(300 * time.Millisecond) // let the server's unsent bytes pile up
	got, err := io.ReadAll(c)          // ReadAll stops at EOF
	if err != nil {
		t.Fatal(err)
	}
	if err := echotest.Compare(got, msg); err != nil {
		t.Fatal(err)
	}
}

// requirePrivate fails the test unless srv pauses connections through
// gnet's epoll (gnetprivate.go).
func requirePrivate(t *testing.T, srv *Server) {
	t.Helper()
	if srv.priv == nil {
		t.Fatalf("gnet private access off (%v): this test is for the private path", srv.privErr)
	}
}

// TestBackpressure: a client that writes without reading. On the private
// path the server stops reading it, so the client's writes stall with the
// connection open, and once it reads it gets every byte back. On the
// fallback the server goes on reading and closes the connection once its
// unsent echo passes fallbackMaxUnsent.
func TestBackpressure(t *testing.T) {
	tests := []struct {
		name   string
		opts   []Option
		paused bool
	}{
		{name: "private path pauses", paused: true},
		{name: "fallback closes", opts: []Option{withoutGnetPrivate()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, stats := startServerWith(t, tt.opts, "tcp4://127.0.0.1:0")
			if got := srv.priv != nil; got != tt.paused {
				t.Fatalf("private access %v (%v), want %v", got, srv.privErr, tt.paused)
			}
			c, err := net.Dial("tcp4", stats[0].Addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			msg := echotest.Payload(96<<20, 7) // far more than kernel buffers and fallbackMaxUnsent
			_ = c.SetWriteDeadline(time.Now().Add(3 * time.Second))
			n, werr := c.Write(msg)
			if tt.paused {
				checkPaused(t, srv, c, msg[:n], werr)
			} else {
				checkClosed(t, srv, c, n, werr)
			}
		})
	}
}

// checkPaused: the write stalled (the server stopped reading) and every
// byte written comes back.
func checkPaused(t *testing.T, srv *Server, c net.Conn, sent []byte, werr error) {
	if !errors.Is(werr, os.ErrDeadlineExceeded) {
		t.Fatalf("write of 96 MiB to a paused connection: %d bytes, %v; want a stall", len(sent), werr)
	}
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	got := make([]byte, len(sent))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("reading back %d bytes: %v", len(sent), err)
	}
	if err := echotest.Compare(got, sent); err != nil {
		t.Fatal(err)
	}
	if st := srv.Stats()[0]; st.Errors != 0 || st.Open != 1 {
		t.Fatalf("stats %+v: want the connection open and no error", st)
	}
}

// checkClosed: the server closed the connection over fallbackMaxUnsent
// before echoing everything.
func checkClosed(t *testing.T, srv *Server, c net.Conn, n int, werr error) {
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	got, rerr := io.Copy(io.Discard, c)
	if werr == nil && rerr == nil && got == int64(n) {
		t.Fatalf("all %d bytes echoed: the fallback did not close the connection", n)
	}
	if errors.Is(werr, os.ErrDeadlineExceeded) && errors.Is(rerr, os.ErrDeadlineExceeded) {
		t.Fatalf("write %v, read %v: the connection stalled instead of being closed", werr, rerr)
	}
	waitOpen(t, srv, 0)
	if st := srv.Stats()[0]; st.Errors == 0 {
		t.Fatalf("stats %+v: want the close counted as an error", st)
	}
}

// TestGnetPrivateEpollFD: the epoll fds gnetprivate.go finds for the
// event loops are epoll instances; the listener is in each of them, and
// the server's end of a connection in exactly one (so pausing and arming
// change the right registrations).
func TestGnetPrivateEpollFD(t *testing.T) {
	srv, stats := startServer(t, "tcp4://127.0.0.1:0")
	requirePrivate(t, srv)
	c, err := net.Dial("tcp4", stats[0].Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := echotest.Stream(c, []byte("hello"), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(stats[0].Addr)
	ends := serverEnds(t, port)
	if len(srv.loopPath.loops) != 2 || len(ends) != 1 {
		t.Fatalf("%d loops, %d server ends: want 2 and 1", len(srv.loopPath.loops), len(ends))
	}
	holding := 0
	for _, l := range srv.loopPath.loops {
		fd := strconv.Itoa(l.epfd)
		link, _ := os.Readlink("/proc/self/fd/" + fd)
		info, _ := os.ReadFile("/proc/self/fdinfo/" + fd)
		if link != "anon_inode:[eventpoll]" {
			t.Fatalf("epoll fd %s is %q", fd, link)
		}
		if !epollHolds(info, acceptorsOf(srv)[0].fd) {
			t.Errorf("epoll fd %s lacks the listener", fd)
		}
		if epollHolds(info, ends[0]) {
			holding++
		}
	}
	if holding != 1 {
		t.Fatalf("the connection is in %d loops' epolls, want 1", holding)
	}
}

// epollHolds reports whether an epoll fdinfo lists target fd fd.
func epollHolds(fdinfo []byte, fd int) bool {
	for _, line := range strings.Split(string(fdinfo), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "tfd:" && f[1] == strconv.Itoa(fd) {
			return true
		}
	}
	return false
}

// TestGnetPinnedInGoMod: go.mod requires the gnet version gnetprivate.go
// is written for (test binaries carry no dependency list to check).
func TestGnetPinnedInGoMod(t *testing.T) {
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if want := gnetModule + " " + gnetPinned; !strings.Contains(string(mod), want) {
		t.Fatalf("go.mod does not require %s", want)
	}
}

// TestResetAffectsOnlyThatConnection: a client that resets mid-transfer
// does not disturb another one echoing at the same time.
func TestResetAffectsOnlyThatConnection(t *testing.T) {
	_, stats := startServer(t, "tcp4://127.0.0.1:0")
	addr := stats[0].Addr
	done := make(chan error, 1)
	go func() {
		c, err := net.Dial("tcp4", addr)
		if err == nil {
			err = echotest.Stream(c, echotest.Payload(8<<20, 6), 30*time.Second)
			c.Close()
		}
		done <- err
	}()
	for range 20 {
		r, err := net.Dial("tcp4", addr)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = r.Write(bytes.Repeat([]byte("x"), 1<<20))
		_ = r.(*net.TCPConn).SetLinger(0) // close sends RST
		_ = r.Close()
	}
	if err := <-done; err != nil {
		t.Fatalf("the well-behaved client: %v", err)
	}
}
