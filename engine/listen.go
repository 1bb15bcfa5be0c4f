package engine

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Listen creates the socket a --listen URL names, with x/sys, and returns it
// as if it had been inherited, named by the URL, so it takes the same
// Classify/Adopt path as activation. The caller owns the fd. Accepted forms:
//
//	tcp://HOST:PORT  tcp4://HOST:PORT  tcp6://[HOST]:PORT
//	udp://HOST:PORT  udp4://HOST:PORT  udp6://[HOST]:PORT
//	unix:///path     unix://@abstract  unixgram:///path  unixgram://@abstract
//	vsock://CID:PORT (CID -1 or "any" for VMADDR_CID_ANY)
//
// A unix path that already holds a socket is replaced (the usual stale
// socket after a crash); any other file there is an error.
func Listen(rawURL string) (InheritedFD, error) {
	sa, domain, typ, err := parseListenURL(rawURL)
	if err != nil {
		return InheritedFD{}, err
	}
	fd, err := unix.Socket(domain, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return InheritedFD{}, fmt.Errorf("engine: listen %s: %w", rawURL, os.NewSyscallError("socket", err))
	}
	if err := bindAndListen(fd, sa, domain, typ); err != nil {
		_ = unix.Close(fd)
		return InheritedFD{}, fmt.Errorf("engine: listen %s: %w", rawURL, err)
	}
	return InheritedFD{FD: fd, Name: rawURL}, nil
}

func bindAndListen(fd int, sa unix.Sockaddr, domain, typ int) error {
	switch domain {
	case unix.AF_INET, unix.AF_INET6:
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
			return os.NewSyscallError("setsockopt", err)
		}
		if domain == unix.AF_INET6 {
			// tcp6:// means IPv6 only, as systemd's BindIPv6Only=ipv6-only.
			_ = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1)
		}
	case unix.AF_UNIX:
		if err := removeStaleSocket(sa.(*unix.SockaddrUnix).Name); err != nil {
			return err
		}
	}
	if err := unix.Bind(fd, sa); err != nil {
		return os.NewSyscallError("bind", err)
	}
	if typ == unix.SOCK_STREAM {
		if err := unix.Listen(fd, unix.SOMAXCONN); err != nil {
			return os.NewSyscallError("listen", err)
		}
	}
	return nil
}

func removeStaleSocket(path string) error {
	if strings.HasPrefix(path, "@") {
		return nil
	}
	fi, err := os.Lstat(path)
	if err != nil {
		return nil
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("%s exists and is not a socket", path)
	}
	return os.Remove(path)
}

func parseListenURL(raw string) (sa unix.Sockaddr, domain, typ int, err error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok || rest == "" {
		return nil, 0, 0, fmt.Errorf("engine: --listen %q: want SCHEME://ADDRESS, e.g. tcp://127.0.0.1:3000", raw)
	}
	switch scheme {
	case "tcp", "tcp4", "tcp6":
		sa, domain, err = inetSockaddr(scheme, rest)
		return sa, domain, unix.SOCK_STREAM, err
	case "udp", "udp4", "udp6":
		sa, domain, err = inetSockaddr(scheme, rest)
		return sa, domain, unix.SOCK_DGRAM, err
	case "unix":
		return &unix.SockaddrUnix{Name: rest}, unix.AF_UNIX, unix.SOCK_STREAM, nil
	case "unixgram":
		return &unix.SockaddrUnix{Name: rest}, unix.AF_UNIX, unix.SOCK_DGRAM, nil
	case "vsock":
		sa, err = vsockSockaddr(rest)
		return sa, unix.AF_VSOCK, unix.SOCK_STREAM, err
	}
	return nil, 0, 0, fmt.Errorf("engine: --listen %q: unknown scheme %q (tcp, tcp4, tcp6, udp, udp4, udp6, unix, unixgram, vsock)", raw, scheme)
}

func inetSockaddr(scheme, hostport string) (unix.Sockaddr, int, error) {
	host, portStr, err := net.SplitHostPort(hostport)
	if err != nil {
		return nil, 0, fmt.Errorf("engine: --listen %s://%s: %w", scheme, hostport, err)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, 0, fmt.Errorf("engine: --listen %s://%s: bad port %q", scheme, hostport, portStr)
	}
	if host == "" {
		host = "0.0.0.0"
		if strings.HasSuffix(scheme, "6") {
			host = "::"
		}
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return nil, 0, fmt.Errorf("engine: --listen %s://%s: host must be an IP address: %w", scheme, hostport, err)
	}
	want6 := strings.HasSuffix(scheme, "6")
	want4 := strings.HasSuffix(scheme, "4")
	switch {
	case ip.Is4() && !want6:
		return &unix.SockaddrInet4{Port: int(port), Addr: ip.As4()}, unix.AF_INET, nil
	case ip.Is6() && !want4:
		return &unix.SockaddrInet6{Port: int(port), Addr: ip.As16()}, unix.AF_INET6, nil
	}
	return nil, 0, fmt.Errorf("engine: --listen %s://%s: address family does not match the scheme", scheme, hostport)
}

func vsockSockaddr(s string) (unix.Sockaddr, error) {
	cidStr, portStr, ok := strings.Cut(s, ":")
	if !ok {
		return nil, fmt.Errorf("engine: --listen vsock://%s: want vsock://CID:PORT", s)
	}
	cid := uint64(unix.VMADDR_CID_ANY)
	if cidStr != "any" && cidStr != "-1" {
		var err error
		if cid, err = strconv.ParseUint(cidStr, 10, 32); err != nil {
			return nil, fmt.Errorf("engine: --listen vsock://%s: bad CID %q", s, cidStr)
		}
	}
	port, err := strconv.ParseUint(portStr, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("engine: --listen vsock://%s: bad port %q", s, portStr)
	}
	if port == 0 {
		port = unix.VMADDR_PORT_ANY // like port 0 for inet: the kernel picks one
	}
	return &unix.SockaddrVM{CID: uint32(cid), Port: uint32(port)}, nil
}
