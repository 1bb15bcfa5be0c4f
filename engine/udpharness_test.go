package engine

import (
	"log/slog"
	"net"
	"net/netip"
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

// guarded is an in-process server with one UDP socket, its log captured.
type guarded struct {
	srv  *Server
	addr netip.AddrPort
	log  *echotest.LockedBuffer
}

// startGuarded serves url (or, for "dual", a dual-stack [::]:0 socket as
// systemd's BindIPv6Only=both makes) in ns with the given guard.
func startGuarded(t testing.TB, ns *netns, url string, g udprules.Config) *guarded {
	t.Helper()
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
	// serveFDs hands fd to the server, which closes it: no cleanup of ours.
	buf := &echotest.LockedBuffer{}
	log := slog.New(slog.NewTextHandler(buf, nil))
	srv := serveFDs(t, []activation.InheritedFD{fd}, log, WithLoops(1), WithUDPGuard(g))
	return &guarded{srv: srv, addr: netip.MustParseAddrPort(srv.Stats()[0].Addr), log: buf}
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

func (g *guarded) stats() SocketStats { return g.srv.Stats()[0] }

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
