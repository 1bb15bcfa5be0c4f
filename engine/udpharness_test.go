package engine

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/activation"
	"github.com/echo-activation/echo-server/engine/echotest"
	"github.com/echo-activation/echo-server/engine/listen"
	"github.com/echo-activation/echo-server/engine/udprules"
	"golang.org/x/sys/unix"
)

// Helpers of the UDP abuse tests: in-process servers, clients and forged
// datagrams, all inside a test's own network namespace.

// guarded is an in-process server with one UDP socket, or a reuseport
// group of them, its log captured.
type guarded struct {
	srv  *Server
	addr netip.AddrPort
	log  *echotest.LockedBuffer
}

// startGuarded serves url (or, for "dual", a dual-stack [::]:0 socket as
// systemd's BindIPv6Only=both makes) in ns with the given guard.
func startGuarded(t testing.TB, ns *netns, url string, g udprules.Config) *guarded {
	t.Helper()
	return startGroup(t, ns, url, g, groupShape{sockets: 1, loops: 1})
}

// groupShape is how a guarded server serves its address: sockets > 1 is a
// reuseport group, loops is Options.Loops.
type groupShape struct{ sockets, loops int }

func (sh groupShape) String() string { return fmt.Sprintf("%d-sockets-%d-loops", sh.sockets, sh.loops) }

// startGroup serves url in ns as shape says, with the given guard.
func startGroup(t testing.TB, ns *netns, url string, g udprules.Config, shape groupShape) *guarded {
	t.Helper()
	if shape.sockets > 1 {
		return serveGuarded(t, reuseportGroup(t, ns, url, shape.sockets), g, shape.loops)
	}
	var fd activation.InheritedFD
	err := ns.do(func() (err error) {
		if url == "dual" {
			fd, err = dualStackUDP()
			return err
		}
		fd, err = listen.Listen(url)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return serveGuarded(t, []activation.InheritedFD{fd}, g, shape.loops)
}

// serveGuarded serves fds (one address) with loops loops and guard g.
func serveGuarded(t testing.TB, fds []activation.InheritedFD, g udprules.Config, loops int) *guarded {
	t.Helper()
	// serveFDs hands the fds to the server, which closes them: no cleanup of ours.
	buf := &echotest.LockedBuffer{}
	log := slog.New(slog.NewTextHandler(buf, nil))
	srv := serveFDs(t, fds, log, WithLoops(loops), WithUDPGuard(g))
	return &guarded{srv: srv, addr: netip.MustParseAddrPort(srv.Stats()[0].Addr), log: buf}
}

// reuseportGroup binds n UDP sockets to one address with SO_REUSEPORT, as
// systemd does for ReusePort=yes and n ListenDatagram= lines of it.
func reuseportGroup(t testing.TB, ns *netns, url string, n int) []activation.InheritedFD {
	t.Helper()
	ap := netip.MustParseAddrPort(url[strings.Index(url, "//")+2:])
	var fds []activation.InheritedFD
	err := ns.do(func() error {
		for i := range n {
			fd, port, err := reuseportSocket(ap)
			if err != nil {
				return err
			}
			ap = netip.AddrPortFrom(ap.Addr(), port) // the first socket's port 0 chose it
			fds = append(fds, activation.InheritedFD{FD: fd, Name: fmt.Sprintf("group-%d", i)})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fds
}

func reuseportSocket(ap netip.AddrPort) (int, uint16, error) {
	var sa unix.Sockaddr = &unix.SockaddrInet6{Addr: ap.Addr().As16(), Port: int(ap.Port())}
	family := unix.AF_INET6
	if ap.Addr().Is4() {
		sa, family = &unix.SockaddrInet4{Addr: ap.Addr().As4(), Port: int(ap.Port())}, unix.AF_INET
	}
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, 0, err
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
		_ = unix.Close(fd)
		return -1, 0, err
	}
	if err := unix.Bind(fd, sa); err != nil {
		_ = unix.Close(fd)
		return -1, 0, err
	}
	got, err := unix.Getsockname(fd)
	if err != nil {
		_ = unix.Close(fd)
		return -1, 0, err
	}
	switch a := got.(type) {
	case *unix.SockaddrInet4:
		return fd, uint16(a.Port), nil
	case *unix.SockaddrInet6:
		return fd, uint16(a.Port), nil
	}
	_ = unix.Close(fd)
	return -1, 0, fmt.Errorf("getsockname: %T", got)
}

func dualStackUDP() (activation.InheritedFD, error) {
	fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err == nil {
		err = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0)
	}
	if err == nil {
		err = unix.Bind(fd, &unix.SockaddrInet6{})
	}
	return activation.InheritedFD{FD: fd, Name: "dual"}, err
}

// stats sums the counters of the server's sockets (one, or a group).
func (g *guarded) stats() SocketStats {
	var sum SocketStats
	for _, st := range g.srv.Stats() {
		sum.DatagramsIn += st.DatagramsIn
		sum.DatagramsOut += st.DatagramsOut
		sum.BytesIn += st.BytesIn
		sum.BytesOut += st.BytesOut
		sum.Dropped += st.Dropped
		sum.Errors += st.Errors
		for r := range st.Refused {
			sum.Refused[r] += st.Refused[r]
		}
	}
	return sum
}

// handled is how many datagrams the server has finished with.
func (s SocketStats) handled() uint64 {
	n := s.DatagramsOut + s.Dropped + s.Errors
	for _, r := range s.Refused {
		n += r
	}
	return n
}

// waitHandled waits until the server has finished with n datagrams.
func (g *guarded) waitHandled(t testing.TB, n uint64) SocketStats {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st := g.stats()
		if st.handled() >= n {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("server handled %d datagrams in 5 s, want %d: %+v", st.handled(), n, st)
		}
		time.Sleep(time.Millisecond)
	}
}

// to returns the server's address as a forged datagram names it: a
// dual-stack socket is reached at 127.0.0.1 or ::1.
func (g *guarded) to(v6 bool) netip.AddrPort {
	if !g.addr.Addr().IsUnspecified() {
		return g.addr
	}
	if v6 {
		return netip.AddrPortFrom(netip.IPv6Loopback(), g.addr.Port())
	}
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), g.addr.Port())
}

// listenUDP opens a UDP socket at addr in ns.
func listenUDP(t testing.TB, ns *netns, addr netip.AddrPort) *net.UDPConn {
	t.Helper()
	var c *net.UDPConn
	err := ns.do(func() (err error) {
		c, err = net.ListenUDP("udp", net.UDPAddrFromAddrPort(addr))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func newForgerIn(t testing.TB, ns *netns) *forger {
	t.Helper()
	var f *forger
	err := ns.do(func() (err error) {
		f, err = newForger()
		return err
	})
	if err != nil {
		t.Fatalf("raw sockets: %v", err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

// readWithin reads one datagram within d; ok is false on timeout.
func readWithin(c *net.UDPConn, buf []byte, d time.Duration) ([]byte, bool) {
	_ = c.SetReadDeadline(time.Now().Add(d))
	n, err := c.Read(buf)
	return buf[:n], err == nil
}
