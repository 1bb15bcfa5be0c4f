package loadgen

import (
	"errors"
	"fmt"
	"net"
	"strconv"

	"golang.org/x/sys/unix"
)

// ErrNotLocal is returned for a target that is not 127.0.0.1, ::1 or a unix
// socket path: the generator refuses to send load anywhere else.
var ErrNotLocal = errors.New("loadgen: target must be 127.0.0.1, ::1 or a unix socket path")

// Target is a checked destination on this machine.
type Target struct {
	Network string // "tcp", "udp", "unix" or "unixgram"
	Addr    string // "127.0.0.1:PORT", "[::1]:PORT" or a path
	domain  int
	typ     int
	sa      unix.Sockaddr
}

// ParseTarget checks network and addr and resolves them to a socket
// address. It accepts only the literal loopback addresses 127.0.0.1 and ::1
// (no names, no other 127/8 addresses) and unix socket paths.
func ParseTarget(network, addr string) (Target, error) {
	t := Target{Network: network, Addr: addr}
	switch network {
	case "tcp", "udp":
		return t.parseIP()
	case "unix", "unixgram":
		return t.parseUnix()
	}
	return t, fmt.Errorf("loadgen: unknown network %q (want tcp, udp, unix or unixgram)", network)
}

func (t Target) parseIP() (Target, error) {
	host, ps, err := net.SplitHostPort(t.Addr)
	if err != nil {
		return t, fmt.Errorf("loadgen: %q: %w", t.Addr, err)
	}
	port, err := strconv.Atoi(ps)
	if err != nil || port < 1 || port > 65535 {
		return t, fmt.Errorf("loadgen: %q: bad port", t.Addr)
	}
	ip := net.ParseIP(host)
	t.typ = unix.SOCK_STREAM
	if t.Network == "udp" {
		t.typ = unix.SOCK_DGRAM
	}
	switch {
	case ip.Equal(net.IPv4(127, 0, 0, 1)):
		sa := &unix.SockaddrInet4{Port: port}
		copy(sa.Addr[:], ip.To4())
		t.domain, t.sa = unix.AF_INET, sa
	case ip.Equal(net.IPv6loopback):
		sa := &unix.SockaddrInet6{Port: port}
		copy(sa.Addr[:], ip)
		t.domain, t.sa = unix.AF_INET6, sa
	default:
		return t, fmt.Errorf("%w: got %q", ErrNotLocal, t.Addr)
	}
	return t, nil
}

func (t Target) parseUnix() (Target, error) {
	if t.Addr == "" || len(t.Addr) >= 108 || t.Addr[0] == '@' {
		return t, fmt.Errorf("%w: bad unix path %q", ErrNotLocal, t.Addr)
	}
	t.domain, t.sa = unix.AF_UNIX, &unix.SockaddrUnix{Name: t.Addr}
	t.typ = unix.SOCK_STREAM
	if t.Network == "unixgram" {
		t.typ = unix.SOCK_DGRAM
	}
	return t, nil
}

// Datagram reports whether the target is a datagram socket.
func (t Target) Datagram() bool { return t.typ == unix.SOCK_DGRAM }
