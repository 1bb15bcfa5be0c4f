package engine

import (
	"bytes"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest"
	"github.com/panjf2000/gnet/v2"
)

// loopCatcher records the event loop of the first connection it sees.
type loopCatcher struct {
	gnet.BuiltinEventEngine
	once sync.Once
	loop chan gnet.EventLoop
}

func (h *loopCatcher) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	h.once.Do(func() { h.loop <- c.EventLoop() })
	return nil, gnet.None
}

// TestPollerFDIsReachable guards the reflection in backpressure.go: if a
// gnet upgrade moves eventloop.poller.fd, this fails instead of the server
// silently falling back to closing slow readers.
func TestPollerFDIsReachable(t *testing.T) {
	h := &loopCatcher{loop: make(chan gnet.EventLoop, 1)}
	cli, err := gnet.NewClient(h)
	if err != nil {
		t.Fatal(err)
	}
	if err := cli.Start(); err != nil {
		t.Fatal(err)
	}
	defer cli.Stop()
	c, server, err := echotest.AcceptedPair()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	if _, err := cli.Enroll(c); err != nil {
		t.Fatal(err)
	}
	fd := pollerFD(<-h.loop)
	link, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	if fd < 0 || err != nil || link != "anon_inode:[eventpoll]" {
		t.Fatalf("pollerFD = %d (%q, %v), want gnet's epoll fd", fd, link, err)
	}
}

// TestHalfCloseGetsEverything: a client that writes, shuts down its write
// side and reads only later still gets every byte back, then EOF.
func TestHalfCloseGetsEverything(t *testing.T) {
	_, stats := startServer(t, "tcp4://127.0.0.1:0")
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
