package engine

import (
	"errors"
	"net"
	"os"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest"
	"golang.org/x/sys/unix"
)

// acceptPaths are the two ways stream listeners are accepted: on gnet's
// loops (accept.go) and, with the private access forced off, in Go.
var acceptPaths = []struct {
	name  string
	opts  []Option
	loops bool
}{
	{name: "loops", loops: true},
	{name: "fallback", opts: []Option{withoutGnetPrivate()}},
}

// loopAccepted is how many connections gnet's loops accepted on the
// server's listeners.
func loopAccepted(srv *Server) int64 {
	var n int64
	for _, a := range acceptorsOf(srv) {
		n += a.accepted()
	}
	return n
}

// TestAcceptPaths: on both paths, tcp4, tcp6 and unix listeners echo
// byte-exact (one client after another and 50 at once), count every
// connection under the socket's name, and the path is the one expected.
func TestAcceptPaths(t *testing.T) {
	for _, path := range acceptPaths {
		t.Run(path.name, func(t *testing.T) {
			dir := echotest.TempDir(t)
			srv, stats := startServerWith(t, path.opts, "tcp4://127.0.0.1:0", "tcp6://[::1]:0", "unix://"+dir+"/s.sock")
			if got := len(acceptorsOf(srv)) == 3; got != path.loops {
				t.Fatalf("%d listeners on the loops, want all: %v", len(acceptorsOf(srv)), path.loops)
			}
			for i, st := range stats {
				checkStream(t, st, dir, []int{1, 64 << 10, 4 << 20})
				for _, err := range echotest.ConcurrentStreams(st.Network, st.Addr, 50, 16<<10, 20*time.Second) {
					t.Errorf("%s: %v", st.Network, err)
				}
				if got := srv.Stats()[i]; got.Accepted != 53 || got.Name != st.Name {
					t.Errorf("%s: stats %+v, want 53 accepted under its name", st.Network, got)
				}
			}
			if got, want := loopAccepted(srv), int64(3*53); path.loops && got != want {
				t.Fatalf("the loops accepted %d connections, want %d", got, want)
			}
		})
	}
}

// tcpOptionNames are the options compared by TestTCPOptions.
var tcpOptionNames = []struct {
	name       string
	level, opt int
}{
	{"TCP_NODELAY", unix.IPPROTO_TCP, unix.TCP_NODELAY},
	{"SO_KEEPALIVE", unix.SOL_SOCKET, unix.SO_KEEPALIVE},
	{"TCP_KEEPIDLE", unix.IPPROTO_TCP, unix.TCP_KEEPIDLE},
	{"TCP_KEEPINTVL", unix.IPPROTO_TCP, unix.TCP_KEEPINTVL},
	{"TCP_KEEPCNT", unix.IPPROTO_TCP, unix.TCP_KEEPCNT},
}

// TestTCPOptions: the server's end of every TCP connection, read back from
// the kernel, has the options that Go's net gives a connection its own
// listener accepts (TCP_NODELAY and keepalive), on both paths (the server's
// end found among this process's fds by its local port).
func TestTCPOptions(t *testing.T) {
	for _, path := range acceptPaths {
		t.Run(path.name, func(t *testing.T) {
			_, stats := startServerWith(t, path.opts, "tcp4://127.0.0.1:0", "tcp6://[::1]:0")
			for _, st := range stats {
				want := goAcceptedOptions(t, st.Network)
				c, err := net.Dial(st.Network, st.Addr)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				if err := echoOnce(c); err != nil {
					t.Fatal(err)
				}
				_, port, _ := net.SplitHostPort(st.Addr)
				fds := serverEnds(t, port)
				if len(fds) == 0 {
					t.Fatalf("%s: no server end of the connection found", st.Network)
				}
				for _, fd := range fds {
					for i, o := range tcpOptionNames {
						if v, err := unix.GetsockoptInt(fd, o.level, o.opt); err != nil || v != want[i] {
							t.Errorf("%s: %s on fd %d = %d (%v), want %d as Go's net sets it", st.Network, o.name, fd, v, err, want[i])
						}
					}
				}
			}
		})
	}
}

// goAcceptedOptions reads tcpOptionNames from a connection that Go's own
// net.Listener accepted.
func goAcceptedOptions(t *testing.T, network string) []int {
	t.Helper()
	ln, err := net.Listen(network, map[string]string{"tcp4": "127.0.0.1:0", "tcp6": "[::1]:0"}[network])
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial(network, ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	rc, _ := sc.(*net.TCPConn).SyscallConn()
	out := make([]int, len(tcpOptionNames))
	_ = rc.Control(func(fd uintptr) {
		for i, o := range tcpOptionNames {
			out[i], _ = unix.GetsockoptInt(int(fd), o.level, o.opt)
		}
	})
	return out
}

// serverEnds returns this process's connected TCP sockets whose local
// port is port: the server's ends of the connections to it.
func serverEnds(t *testing.T, port string) []int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, e := range entries {
		fd, _ := strconv.Atoi(e.Name())
		sa, err := unix.Getsockname(fd)
		if err != nil || SockaddrString(sa) == "" {
			continue
		}
		if _, p, _ := net.SplitHostPort(SockaddrString(sa)); p != port {
			continue
		}
		if ln, _ := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN); ln == 0 {
			out = append(out, fd)
		}
	}
	return out
}

// TestLoopsShareFairly: with two loops, 1000 connections from 20 clients
// connecting one after another split evenly: no loop more than two margins
// ahead of the other (a disarmed loop comes back within a margin of being
// caught up with). EPOLLEXCLUSIVE alone (the balance turned off) is
// logged for comparison, not asserted: the kernel's split varies.
func TestLoopsShareFairly(t *testing.T) {
	balanced := balanceMargin
	for _, margin := range []int64{balanced, 1 << 40} {
		t.Run("margin "+strconv.FormatInt(margin, 10), func(t *testing.T) {
			t.Cleanup(func() { balanceMargin = balanced }) // after the server's Shutdown
			balanceMargin = margin
			srv, stats := startServerWith(t, []Option{WithLoops(2)}, "tcp4://127.0.0.1:0")
			connectMany(t, stats[0].Addr, 20, 50)
			a := acceptorsOf(srv)[0]
			sh := a.shares.Load()
			counts := []int64{sh.count[0].n.Load(), sh.count[1].n.Load()}
			t.Logf("connections per loop: %v", counts)
			if counts[0]+counts[1] != 1000 {
				t.Fatalf("loops accepted %v, want 1000 in all", counts)
			}
			if margin == balanced && max(counts[0], counts[1])-min(counts[0], counts[1]) > 2*balanced {
				t.Fatalf("split %v: one loop more than %d ahead", counts, 2*balanced)
			}
		})
	}
}

// connectMany runs clients goroutines that each connect, echo 64 bytes and
// close, rounds times.
func connectMany(t *testing.T, addr string, clients, rounds int) {
	var wg sync.WaitGroup
	msg := echotest.Payload(64, 3)
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				c, err := net.Dial("tcp4", addr)
				if err == nil {
					err = echotest.Stream(c, msg, 10*time.Second)
					c.Close()
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestFDGuard: when open connections come near the fd limit, the
// listeners leave the loops and connections are accepted in Go; once they
// close, the loops accept again. (The limit is the server's idea of it,
// lowered here; cmd's TestFDExhaustionOnLoops runs out for real.)
func TestFDGuard(t *testing.T) {
	srv, addr := newTCPServer(t)
	srv.fdLimit = 2*fdHeadroom + 10 // low from fdHeadroom+10 open, ample below 10
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = shutdown(srv) })
	a := acceptorsOf(srv)[0]
	var held []net.Conn
	for range fdHeadroom + 10 {
		held = append(held, dialEcho(t, addr))
	}
	waitMode(t, a, modeGo)
	onLoops := loopAccepted(srv)
	held = append(held, dialEcho(t, addr)) // accepted in Go
	if loopAccepted(srv) != onLoops || srv.Open() != int64(len(held)) {
		t.Fatalf("a connection near the limit went to the loops, or was not counted")
	}
	for _, c := range held {
		c.Close()
	}
	waitOpen(t, srv, 0)
	waitMode(t, a, modeLoops)
	dialEcho(t, addr)
	if loopAccepted(srv) != onLoops+1 {
		t.Fatal("the loops did not accept again once fds were ample")
	}
}

func waitMode(t *testing.T, a *acceptor, want acceptMode) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		a.mu.Lock()
		mode, armed := a.mode, a.anyArmedLocked()
		a.mu.Unlock()
		if mode == want && armed == (want == modeLoops) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("mode %d (armed %v), want %d", mode, armed, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestStopAcceptingServesQueued: connections queued in the kernel when
// accepting stops are accepted and echoed, and then the listening socket
// is closed: a new connection is refused. (On the fallback the Go accept
// loop cannot be held back, so only the refusal is checked there.)
func TestStopAcceptingServesQueued(t *testing.T) {
	for _, path := range acceptPaths {
		t.Run(path.name, func(t *testing.T) {
			srv, addr := newTCPServer(t, path.opts...)
			if err := srv.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = shutdown(srv) })
			for _, a := range acceptorsOf(srv) {
				a.halt() // the loops stop accepting; the kernel queues
			}
			var queued []net.Conn
			if path.loops {
				for range 5 {
					c, err := net.Dial("tcp4", addr)
					if err != nil {
						t.Fatal(err)
					}
					defer c.Close()
					queued = append(queued, c)
				}
			}
			srv.StopAccepting()
			for i, c := range queued {
				if err := echoOnce(c); err != nil {
					t.Fatalf("queued connection %d: %v", i, err)
				}
			}
			if c, err := net.Dial("tcp4", addr); err == nil || !errors.Is(err, syscall.ECONNREFUSED) {
				if c != nil {
					c.Close()
				}
				t.Fatalf("dial after StopAccepting: %v, want refused", err)
			}
		})
	}
}

// acceptorsOf is the server's acceptors on gnet's loops (none on the Go path).
func acceptorsOf(srv *Server) []*acceptor {
	if srv.loopPath == nil {
		return nil
	}
	return srv.loopPath.acceptors
}
