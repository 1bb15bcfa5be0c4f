package engine

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/echo-activation/echo-server/engine/echotest"
	"golang.org/x/sys/unix"
)

// fdMaker makes one real fd for a Classify case; closing it is the test's job.
type fdMaker func(t *testing.T) int

func socketFD(domain, typ int, sa unix.Sockaddr, listen bool) fdMaker {
	return func(t *testing.T) int {
		fd, err := unix.Socket(domain, typ|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			echotest.Skip(t, "socket(%d, %d): %v", domain, typ, err)
		}
		if sa != nil {
			if err := unix.Bind(fd, sa); err != nil {
				echotest.Skip(t, "bind: %v", err)
			}
		}
		if listen {
			if err := unix.Listen(fd, 8); err != nil {
				echotest.Skip(t, "listen: %v", err)
			}
		}
		return fd
	}
}

func connectedTCP(t *testing.T) int {
	ln := socketFD(unix.AF_INET, unix.SOCK_STREAM, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}, true)(t)
	t.Cleanup(func() { unix.Close(ln) })
	sa, _ := unix.Getsockname(ln)
	fd, _ := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err := unix.Connect(fd, sa); err != nil {
		t.Fatal(err)
	}
	return fd
}

// seqpacketPairEnd is one end of a connected unix SOCK_SEQPACKET pair.
func seqpacketPairEnd(t *testing.T) int {
	p, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(p[1]) })
	return p[0]
}

// rawICMP is a raw IPv4 socket (CAP_NET_RAW).
func rawICMP(t *testing.T) int {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_ICMP)
	if err != nil {
		echotest.Skip(t, "raw socket (needs CAP_NET_RAW): %v", err)
	}
	return fd
}

// mptcpFD is a listening MPTCP socket on loopback.
func mptcpFD(domain int, sa unix.Sockaddr) fdMaker {
	return func(t *testing.T) int {
		fd, err := unix.Socket(domain, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, unix.IPPROTO_MPTCP)
		if err != nil {
			echotest.Skip(t, "no MPTCP on this kernel (sysctl net.mptcp.enabled=1?): %v", err)
		}
		if err := unix.Bind(fd, sa); err != nil {
			t.Fatal(err)
		}
		if err := unix.Listen(fd, 8); err != nil {
			t.Fatal(err)
		}
		return fd
	}
}

func regularFile(t *testing.T) int {
	f, err := os.CreateTemp(t.TempDir(), "f")
	if err != nil {
		t.Fatal(err)
	}
	fd, _ := unix.Dup(int(f.Fd()))
	f.Close()
	return fd
}

func closedFD(t *testing.T) int {
	fd, _ := unix.Dup(0)
	unix.Close(fd)
	return fd
}

func pipeFD(t *testing.T) int {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(p[1]) })
	return p[0]
}

func TestClassify(t *testing.T) {
	lo4 := &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}
	lo6 := &unix.SockaddrInet6{Addr: [16]byte{15: 1}}
	tests := []struct {
		name    string
		make    fdMaker
		kind    Kind
		network string
		errHas  string // for unservable fds: what the error must say
	}{
		{name: "tcp4 listener", make: socketFD(unix.AF_INET, unix.SOCK_STREAM, lo4, true), kind: StreamListener, network: "tcp4"},
		{name: "tcp6 listener", make: socketFD(unix.AF_INET6, unix.SOCK_STREAM, lo6, true), kind: StreamListener, network: "tcp6"},
		{name: "udp4", make: socketFD(unix.AF_INET, unix.SOCK_DGRAM, lo4, false), kind: Datagram, network: "udp4"},
		{name: "udp6", make: socketFD(unix.AF_INET6, unix.SOCK_DGRAM, lo6, false), kind: Datagram, network: "udp6"},
		{name: "unix stream listener", make: socketFD(unix.AF_UNIX, unix.SOCK_STREAM, &unix.SockaddrUnix{Name: "@echo-classify-s"}, true), kind: StreamListener, network: "unix"},
		{name: "unix datagram", make: socketFD(unix.AF_UNIX, unix.SOCK_DGRAM, &unix.SockaddrUnix{Name: "@echo-classify-g"}, false), kind: Datagram, network: "unixgram"},
		{name: "connected tcp (Accept=yes)", make: connectedTCP, kind: StreamConn, network: "tcp4"},
		{name: "vsock listener", make: socketFD(unix.AF_VSOCK, unix.SOCK_STREAM, &unix.SockaddrVM{CID: unix.VMADDR_CID_ANY, Port: unix.VMADDR_PORT_ANY}, true), kind: VsockListener, network: "vsock"},
		{name: "unix seqpacket listener", make: socketFD(unix.AF_UNIX, unix.SOCK_SEQPACKET, &unix.SockaddrUnix{Name: "@echo-classify-p"}, true), kind: SeqpacketListener, network: "unixpacket"},
		{name: "unix seqpacket unbound", make: socketFD(unix.AF_UNIX, unix.SOCK_SEQPACKET, nil, false), errHas: "SOCK_SEQPACKET socket not listening: unsupported"},
		{name: "unix seqpacket connected", make: seqpacketPairEnd, errHas: "SOCK_SEQPACKET socket not listening: unsupported"},
		{name: "mptcp4 listener", make: mptcpFD(unix.AF_INET, lo4), kind: StreamListener, network: "mptcp4"},
		{name: "mptcp6 listener", make: mptcpFD(unix.AF_INET6, lo6), kind: StreamListener, network: "mptcp6"},
		{name: "raw inet", make: rawICMP, errHas: "AF_INET socket of unsupported type SOCK_RAW"},
		{name: "netlink", make: socketFD(unix.AF_NETLINK, unix.SOCK_DGRAM, nil, false), errHas: "unsupported family AF_NETLINK"},
		{name: "unbound tcp", make: socketFD(unix.AF_INET, unix.SOCK_STREAM, nil, false), errHas: "neither listening nor connected"},
		{name: "regular file", make: regularFile, errHas: "not a socket but a regular file"},
		{name: "pipe", make: pipeFD, errHas: "not a socket but a pipe"},
		{name: "closed fd", make: closedFD, errHas: "not an open file descriptor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fd := tt.make(t)
			defer unix.Close(fd)
			s, err := Classify(fd, "n1")
			if tt.errHas != "" {
				var se *SocketError
				if !errors.As(err, &se) || !strings.Contains(err.Error(), tt.errHas) || !strings.Contains(err.Error(), "(n1)") {
					t.Fatalf("err = %v, want a SocketError naming n1 and saying %q", err, tt.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Kind != tt.kind || s.Network() != tt.network || s.Addr == "" {
				t.Fatalf("got kind %v network %s addr %q, want %v %s", s.Kind, s.Network(), s.Addr, tt.kind, tt.network)
			}
		})
	}
}

// TestAdoptTakesTheFDOver: Adopt moves the socket to a close-on-exec,
// non-blocking duplicate and closes the original number, and the
// O_NONBLOCK it sets shows on every copy of the socket (it lives on the
// open file description), while the other copy stays open.
func TestAdoptTakesTheFDOver(t *testing.T) {
	fd := socketFD(unix.AF_INET, unix.SOCK_DGRAM, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}, false)(t)
	other, err := unix.Dup(fd) // the service manager's copy
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(other)
	_ = unix.SetNonblock(fd, false)
	s, err := Classify(fd, "u")
	if err != nil {
		t.Fatal(err)
	}
	a, err := Adopt(s)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(a.FD)
	if a.FD == fd {
		t.Fatalf("Adopt returned the original fd %d, want its own duplicate", fd)
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != unix.EBADF {
		t.Fatalf("the original fd %d is still open (%v): want one live number", fd, err)
	}
	fl, _ := unix.FcntlInt(uintptr(a.FD), unix.F_GETFL, 0)
	fdfl, _ := unix.FcntlInt(uintptr(a.FD), unix.F_GETFD, 0)
	otherFl, err := unix.FcntlInt(uintptr(other), unix.F_GETFL, 0)
	if err != nil || fl&unix.O_NONBLOCK == 0 || fdfl&unix.FD_CLOEXEC == 0 || otherFl&unix.O_NONBLOCK == 0 {
		t.Fatalf("flags %#x, fd flags %#x, other copy's flags %#x (%v): want O_NONBLOCK, FD_CLOEXEC, O_NONBLOCK", fl, fdfl, otherFl, err)
	}
}
