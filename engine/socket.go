//go:build linux

package engine

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// Kind is what a socket is to the server, decided by Classify.
type Kind int

// The kinds of sockets the server serves.
const (
	StreamListener    Kind = iota + 1 // listening TCP or unix stream socket
	StreamConn                        // connected stream socket (systemd Accept=yes)
	Datagram                          // UDP or unix datagram socket
	VsockListener                     // listening AF_VSOCK stream socket
	SeqpacketListener                 // listening AF_UNIX SOCK_SEQPACKET socket (seqpacket.go)
)

func (k Kind) String() string {
	switch k {
	case StreamListener:
		return "stream listener"
	case StreamConn:
		return "stream connection"
	case Datagram:
		return "datagram"
	case VsockListener:
		return "vsock listener"
	case SeqpacketListener:
		return "seqpacket listener"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Socket is a classified socket fd.
type Socket struct {
	FD     int    // the fd; after Adopt and New, the server's (see Adopt)
	Name   string // LISTEN_FDNAMES name or the --listen URL
	Kind   Kind
	Domain int    // AF_INET, AF_INET6, AF_UNIX, AF_VSOCK
	Proto  int    // SO_PROTOCOL: IPPROTO_TCP, IPPROTO_MPTCP, IPPROTO_UDP, 0 for unix
	Addr   string // local address, e.g. "127.0.0.1:3000" or "/run/echo.sock"
}

// Network is the Go network name of the socket: tcp4, udp6, unix, unixgram,
// unixpacket, vsock; and mptcp4, mptcp6 for a TCP socket created with
// IPPROTO_MPTCP (Go names those tcp too, but the kernel serves them
// differently, so logs and metrics tell them apart).
func (s Socket) Network() string {
	switch s.Domain {
	case unix.AF_INET, unix.AF_INET6:
		v := "4"
		if s.Domain == unix.AF_INET6 {
			v = "6"
		}
		switch {
		case s.Kind == Datagram:
			return "udp" + v
		case s.Proto == unix.IPPROTO_MPTCP:
			return "mptcp" + v
		}
		return "tcp" + v
	case unix.AF_UNIX:
		switch s.Kind {
		case Datagram:
			return "unixgram"
		case SeqpacketListener:
			return "unixpacket"
		}
		return "unix"
	}
	return "vsock"
}

// Classify asks the kernel what fd is (SO_DOMAIN, SO_TYPE, SO_PROTOCOL,
// SO_ACCEPTCONN, getsockname) and returns a *SocketError naming the fd when it cannot be
// served: not open, not a socket, an unsupported family or type.
func Classify(fd int, name string) (Socket, error) {
	s := Socket{FD: fd, Name: name}
	domain, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_DOMAIN)
	if err != nil {
		return s, &SocketError{FD: fd, Name: name, What: describeNonSocket(fd, err)}
	}
	typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
	if err != nil {
		return s, &SocketError{FD: fd, Name: name, What: "socket type unreadable", Err: err}
	}
	s.Domain = domain
	s.Proto, _ = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_PROTOCOL) // 0 if unreadable: named as TCP
	if s.Kind, err = kindOf(fd, domain, typ); err != nil {
		return s, &SocketError{FD: fd, Name: name, What: err.Error()}
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return s, &SocketError{FD: fd, Name: name, What: "getsockname failed", Err: err}
	}
	s.Addr = SockaddrString(sa)
	return s, nil
}

func kindOf(fd, domain, typ int) (Kind, error) {
	switch domain {
	case unix.AF_INET, unix.AF_INET6, unix.AF_UNIX, unix.AF_VSOCK:
	default:
		return 0, fmt.Errorf("socket of unsupported family %s", familyName(domain))
	}
	switch typ {
	case unix.SOCK_DGRAM:
		if domain == unix.AF_VSOCK {
			return 0, errors.New("vsock datagram socket: unsupported")
		}
		return Datagram, nil
	case unix.SOCK_STREAM:
	case unix.SOCK_SEQPACKET:
		return seqpacketKind(fd, domain)
	default:
		return 0, fmt.Errorf("%s socket of unsupported type %s", familyName(domain), typeName(typ))
	}
	listening, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN)
	switch {
	case err != nil:
		return 0, fmt.Errorf("SO_ACCEPTCONN unreadable: %w", err)
	case listening == 1 && domain == unix.AF_VSOCK:
		return VsockListener, nil
	case listening == 1:
		return StreamListener, nil
	case domain == unix.AF_VSOCK:
		return 0, errors.New("connected vsock socket: unsupported (pass a listening one)")
	}
	if _, err := unix.Getpeername(fd); err != nil {
		return 0, fmt.Errorf("%s stream socket neither listening nor connected", familyName(domain))
	}
	return StreamConn, nil
}

// describeNonSocket says what an fd is when SO_DOMAIN fails on it.
func describeNonSocket(fd int, sockErr error) string {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return "not an open file descriptor"
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		return "not a socket but a regular file" + pathOf(fd)
	case unix.S_IFDIR:
		return "not a socket but a directory"
	case unix.S_IFIFO:
		return "not a socket but a pipe"
	case unix.S_IFCHR:
		return "not a socket but a character device"
	case unix.S_IFSOCK:
		return "a socket whose domain cannot be read: " + sockErr.Error()
	}
	return "not a socket"
}

// pathOf names the file behind fd, if /proc tells. It matters for a closed
// fd number inside the LISTEN_FDS range: the Go runtime (1.25+) opens its
// cgroup CPU-limit files before main runs, and they take the lowest free fd
// numbers, so the log shows which file stands in the hole.
func pathOf(fd int) string {
	p, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	if err != nil {
		return ""
	}
	return " (" + p + ")"
}

func familyName(d int) string {
	switch d {
	case unix.AF_INET:
		return "AF_INET"
	case unix.AF_INET6:
		return "AF_INET6"
	case unix.AF_UNIX:
		return "AF_UNIX"
	case unix.AF_VSOCK:
		return "AF_VSOCK"
	case unix.AF_NETLINK:
		return "AF_NETLINK"
	case unix.AF_PACKET:
		return "AF_PACKET"
	}
	return "family " + strconv.Itoa(d)
}

func typeName(t int) string {
	switch t {
	case unix.SOCK_SEQPACKET:
		return "SOCK_SEQPACKET"
	case unix.SOCK_RAW:
		return "SOCK_RAW"
	case unix.SOCK_RDM:
		return "SOCK_RDM"
	}
	return "type " + strconv.Itoa(t)
}

// SockaddrString formats a socket address the way net.Addr.String does.
func SockaddrString(sa unix.Sockaddr) string {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return net.JoinHostPort(net.IP(a.Addr[:]).String(), strconv.Itoa(a.Port))
	case *unix.SockaddrInet6:
		return net.JoinHostPort(net.IP(a.Addr[:]).String(), strconv.Itoa(a.Port))
	case *unix.SockaddrUnix:
		return a.Name
	case *unix.SockaddrVM:
		cid := strconv.FormatUint(uint64(a.CID), 10)
		if a.CID == unix.VMADDR_CID_ANY {
			cid = "any"
		}
		return fmt.Sprintf("%s:%d", cid, a.Port)
	}
	return ""
}

// Adopt gives the server its own descriptor of the socket: a close-on-exec
// duplicate (x/sys F_DUPFD_CLOEXEC) in non-blocking mode, returned in the
// Socket's FD, and closes s.FD, so the socket has one live number in this
// process and one owner: the Server given the returned Socket, which closes
// it when it stops serving it. The caller must not use s.FD afterwards.
// O_NONBLOCK lives on the open file description, so it is set on every copy
// of the socket, systemd's included (which never reads from it); closing
// the server's fd closes none of those copies, and where one exists the
// kernel goes on queueing connections. On error s.FD is left open, and the
// caller's.
func Adopt(s Socket) (Socket, error) {
	fd, err := unix.FcntlInt(uintptr(s.FD), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return s, &SocketError{FD: s.FD, Name: s.Name, What: "dup failed", Err: err}
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		_ = unix.Close(fd)
		return s, &SocketError{FD: s.FD, Name: s.Name, What: "set non-blocking failed", Err: err}
	}
	_ = unix.Close(s.FD)
	s.FD = fd
	return s, nil
}
