//go:build linux

package listen

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/echo-activation/echo-server/engine/activation"
	"golang.org/x/sys/unix"
)

// Listen parses a --listen URL (see ParseURL) and creates its
// socket: Endpoint.Listen without the socket file.
func Listen(rawURL string) (activation.InheritedFD, error) {
	e, err := ParseURL(rawURL)
	if err != nil {
		return activation.InheritedFD{}, fmt.Errorf("--listen %s: %w", rawURL, err)
	}
	fd, _, err := e.Listen()
	return fd, err
}

// Listen creates the endpoint's socket with x/sys and returns it as if it
// had been inherited, named by its URL, so it takes the same Classify/Adopt
// path as activation. The caller owns the fd, and the socket file when the
// endpoint is a unix path (remove it with SocketFile.Remove on exit).
//
// A hostname is resolved ("localhost" is the loopback address without a
// lookup) and the first address used, IPv4 first for tcp://
// and udp:// (as Go's net.Listen does). tcp://:PORT, udp://:PORT and the same
// with [::] make one dual-stack IPv6 socket (IPV6_V6ONLY off) that serves
// IPv4 too, or an IPv4 socket on a host without IPv6; tcp6:// and udp6:// are
// IPv6 only, as systemd's BindIPv6Only=ipv6-only. A unix path where a server
// answers is refused; a stale socket file there (no server) is replaced.
func (e Endpoint) Listen() (activation.InheritedFD, SocketFile, error) {
	sa, v6only, err := e.sockaddr()
	if err != nil {
		return activation.InheritedFD{}, SocketFile{}, fmt.Errorf("listen %s: %w", e.URL, err)
	}
	fd, err := listenOn(sa, e.Type, e.Proto, v6only)
	if errors.Is(err, unix.EAFNOSUPPORT) && !v6only && domainOf(sa) == unix.AF_INET6 {
		fd, err = listenOn(&unix.SockaddrInet4{Port: e.port}, e.Type, e.Proto, false) // no IPv6 here
	}
	err = explainRefusal(e, err)
	if err != nil {
		return activation.InheritedFD{}, SocketFile{}, fmt.Errorf("listen %s: %w", e.URL, err)
	}
	return activation.InheritedFD{FD: fd, Name: e.URL}, newSocketFile(sa), nil
}

func (e Endpoint) sockaddr() (sa unix.Sockaddr, v6only bool, err error) {
	switch schemes[e.Scheme].form {
	case unixAddr:
		return &unix.SockaddrUnix{Name: e.path}, false, nil
	case vsockAddr:
		return &unix.SockaddrVM{CID: e.cid, Port: uint32(e.port)}, false, nil
	}
	ip, err := e.resolve()
	if err != nil {
		return nil, false, err
	}
	if ip.Is4() {
		return &unix.SockaddrInet4{Port: e.port, Addr: ip.As4()}, false, nil
	}
	dualStack := ip.IsUnspecified() && familyFits(e.Scheme, true)
	return &unix.SockaddrInet6{Port: e.port, Addr: ip.As16()}, !dualStack, nil
}

// resolveTimeout bounds a hostname lookup at start-up.
const resolveTimeout = 10 * time.Second

// resolve turns the host into one address: "" is the wildcard (IPv6 "::",
// dual-stack, unless the scheme says IPv4), a literal is itself, a name is
// looked up.
func (e Endpoint) resolve() (netip.Addr, error) {
	if e.host == "" {
		if e.Scheme[len(e.Scheme)-1] == '4' {
			return netip.IPv4Unspecified(), nil
		}
		return netip.IPv6Unspecified(), nil
	}
	if ip, err := netip.ParseAddr(e.host); err == nil {
		return ip.Unmap(), nil
	}
	ips, err := lookup(e.host)
	if err != nil {
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) {
			err = errors.New(dnsErr.Err)
		}
		return netip.Addr{}, fmt.Errorf("cannot resolve %s: %w", e.host, err)
	}
	return pickAddr(e.Scheme, e.host, ips)
}

// lookup resolves a hostname. "localhost" and names under it are the
// loopback addresses without a lookup (RFC 6761 6.3), so tcp6://localhost
// works where /etc/hosts lists only 127.0.0.1.
func lookup(host string) ([]netip.Addr, error) {
	if h := strings.ToLower(strings.TrimSuffix(host, ".")); h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return []netip.Addr{netip.AddrFrom4([4]byte{127, 0, 0, 1}), netip.IPv6Loopback()}, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), resolveTimeout)
	defer cancel()
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

// pickAddr takes the first IPv4 address the scheme accepts, else the first
// IPv6 one.
func pickAddr(scheme, host string, ips []netip.Addr) (netip.Addr, error) {
	var v6 netip.Addr
	for _, ip := range ips {
		ip = ip.Unmap()
		switch {
		case ip.Is4() && familyFits(scheme, true):
			return ip, nil
		case ip.Is6() && familyFits(scheme, false) && !v6.IsValid():
			v6 = ip
		}
	}
	if !v6.IsValid() {
		return v6, fmt.Errorf("%s has no address for %s://", host, scheme)
	}
	return v6, nil
}

// explainRefusal says which kernel feature is missing when socket(2)
// refuses the endpoint's family or protocol.
func explainRefusal(e Endpoint, err error) error {
	var se *os.SyscallError
	switch {
	case err == nil:
		return nil
	case e.Proto == unix.IPPROTO_MPTCP && errors.As(err, &se) && se.Syscall == "socket" &&
		(errors.Is(err, unix.EPROTONOSUPPORT) || errors.Is(err, unix.ENOPROTOOPT) || errors.Is(err, unix.EINVAL)):
		return fmt.Errorf("this kernel has no MPTCP (sysctl net.mptcp.enabled=0, or CONFIG_MPTCP off): %w", err)
	case errors.Is(err, unix.EAFNOSUPPORT):
		return fmt.Errorf("this kernel has no %s sockets: %w", e.Scheme, err)
	}
	return err
}

// listenOn creates, binds and (for streams and seqpacket) listens; the fd
// is closed on every error.
func listenOn(sa unix.Sockaddr, typ, proto int, v6only bool) (int, error) {
	domain := domainOf(sa)
	fd, err := unix.Socket(domain, typ|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	if err := bindAndListen(fd, sa, typ, v6only); err != nil {
		_ = unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

func domainOf(sa unix.Sockaddr) int {
	switch sa.(type) {
	case *unix.SockaddrInet4:
		return unix.AF_INET
	case *unix.SockaddrInet6:
		return unix.AF_INET6
	case *unix.SockaddrVM:
		return unix.AF_VSOCK
	}
	return unix.AF_UNIX
}

func bindAndListen(fd int, sa unix.Sockaddr, typ int, v6only bool) error {
	if err := setSocketOptions(fd, sa, typ, v6only); err != nil {
		return err
	}
	if u, ok := sa.(*unix.SockaddrUnix); ok {
		if err := clearSocketPath(u.Name, typ); err != nil {
			return err
		}
	}
	if err := unix.Bind(fd, sa); err != nil {
		return err // the errno alone reads best: "address already in use"
	}
	if typ != unix.SOCK_DGRAM {
		if err := unix.Listen(fd, unix.SOMAXCONN); err != nil {
			return os.NewSyscallError("listen", err)
		}
	}
	return nil
}

// setSocketOptions: SO_REUSEADDR for TCP only (on UDP it would let a
// second server bind the same port), and IPV6_V6ONLY on every IPv6 socket
// but the dual-stack wildcard.
func setSocketOptions(fd int, sa unix.Sockaddr, typ int, v6only bool) error {
	domain := domainOf(sa)
	if domain != unix.AF_INET && domain != unix.AF_INET6 {
		return nil
	}
	if typ == unix.SOCK_STREAM {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
			return os.NewSyscallError("setsockopt SO_REUSEADDR", err)
		}
	}
	if domain == unix.AF_INET6 {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, boolInt(v6only)); err != nil {
			return os.NewSyscallError("setsockopt IPV6_V6ONLY", err)
		}
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
