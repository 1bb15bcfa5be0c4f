//go:build linux && amd64

package main

import (
	bin "encoding/binary"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest/inject"
	"golang.org/x/sys/unix"
)

// tracee makes system calls inside a running server with
// engine/echotest/inject, from its main thread, with one page of its
// memory for the bytes the calls point at.
type tracee struct {
	t    *testing.T
	pid  int
	page uintptr
	used uintptr
}

func newTracee(t *testing.T, pid int) *tracee {
	page, err := inject.Mmap(pid, pid, 4096)
	if err != nil {
		t.Fatal(err)
	}
	return &tracee{t: t, pid: pid, page: page}
}

func (tr *tracee) call(nr uintptr, args ...uintptr) (uintptr, syscall.Errno) {
	tr.t.Helper()
	r, errno, err := inject.Syscall(tr.pid, tr.pid, nr, args...)
	if err != nil {
		tr.t.Fatal(err)
	}
	return r, errno
}

// put copies b into the page and returns its address there.
func (tr *tracee) put(b []byte) uintptr {
	tr.t.Helper()
	at := tr.page + tr.used
	if err := inject.Write(tr.pid, at, b); err != nil {
		tr.t.Fatal(err)
	}
	tr.used += (uintptr(len(b)) + 15) &^ 15
	return at
}

func (tr *tracee) path(p string) uintptr { return tr.put(append([]byte(p), 0)) }

// sockaddr4 is a struct sockaddr_in for 127.0.0.1:port.
func sockaddr4(port int) []byte {
	b := make([]byte, 16)
	bin.NativeEndian.PutUint16(b, unix.AF_INET)
	bin.BigEndian.PutUint16(b[2:], uint16(port))
	copy(b[4:], []byte{127, 0, 0, 1})
	return b
}

// peers are the test's own sockets that nothing from a confined server
// may reach.
type peers struct {
	tcp *net.TCPListener
	udp *net.UDPConn
	dir string // where the server may not create a file
}

func newPeers(t *testing.T) peers {
	tcp, err := net.ListenTCP("tcp4", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	udp, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tcp.Close(); udp.Close() })
	return peers{tcp: tcp, udp: udp, dir: t.TempDir()}
}

func (p peers) tcpPort() int { return p.tcp.Addr().(*net.TCPAddr).Port }
func (p peers) udpPort() int { return p.udp.LocalAddr().(*net.UDPAddr).Port }

// tcpReached reports whether a connection waits on the test's listener.
func (p peers) tcpReached() bool {
	p.tcp.SetDeadline(time.Now().Add(100 * time.Millisecond))
	c, err := p.tcp.Accept()
	if err == nil {
		c.Close()
	}
	return err == nil
}

func (p peers) udpReached() bool {
	p.udp.SetDeadline(time.Now().Add(100 * time.Millisecond))
	var b [16]byte
	_, _, err := p.udp.ReadFrom(b[:])
	return err == nil
}

// attempt is one thing a compromised server would do: try makes the calls
// in the server and returns the errno of the first that failed; reached
// says, from outside, whether it got through.
type attempt struct {
	name     string
	confined syscall.Errno // what try returns in a confined server
	try      func(tr *tracee, p peers) syscall.Errno
	reached  func(tr *tracee, p peers, errno syscall.Errno) bool
}

// connectOut is socket(AF_INET, SOCK_STREAM, proto) and a connect to the
// test's listener.
func connectOut(proto int) func(tr *tracee, p peers) syscall.Errno {
	return func(tr *tracee, p peers) syscall.Errno {
		fd, errno := tr.call(unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_STREAM, uintptr(proto))
		if errno != 0 {
			return errno
		}
		_, errno = tr.call(unix.SYS_CONNECT, fd, tr.put(sockaddr4(p.tcpPort())), 16)
		return errno
	}
}

// backDoor is socket, bind to 127.0.0.1:0, listen and getsockname; the
// port it found is dialled by reached.
var backDoorPort int

func backDoor(tr *tracee, _ peers) syscall.Errno {
	backDoorPort = 0
	fd, errno := tr.call(unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_STREAM, 0)
	if errno != 0 {
		return errno
	}
	sa := tr.put(sockaddr4(0))
	if _, errno = tr.call(unix.SYS_BIND, fd, sa, 16); errno != 0 {
		return errno
	}
	if _, errno = tr.call(unix.SYS_LISTEN, fd, 8); errno != 0 {
		return errno
	}
	size := tr.put([]byte{16, 0, 0, 0})
	if _, errno = tr.call(unix.SYS_GETSOCKNAME, fd, sa, size); errno != 0 {
		return errno
	}
	b, _ := inject.Read(tr.pid, sa, 4)
	backDoorPort = int(bin.BigEndian.Uint16(b[2:]))
	return 0
}

func backDoorReached(*tracee, peers, syscall.Errno) bool {
	if backDoorPort == 0 {
		return false
	}
	c, err := net.DialTimeout("tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(backDoorPort)), time.Second)
	if err == nil {
		c.Close()
	}
	return err == nil
}

// attempts are the seven of issue 19. execve points argv at an unmapped
// address: past seccomp and Landlock's exec check the kernel fails it with
// EFAULT, before the point of no return, so an unconfined server shows
// the call got through without being replaced by /bin/true.
var attempts = []attempt{
	{name: "tcp connect out", confined: unix.EPERM, try: connectOut(0),
		reached: func(_ *tracee, p peers, _ syscall.Errno) bool { return p.tcpReached() }},
	{name: "mptcp connect out", confined: unix.EPERM, try: connectOut(unix.IPPROTO_MPTCP),
		reached: func(_ *tracee, p peers, _ syscall.Errno) bool { return p.tcpReached() }},
	{name: "udp send out", confined: unix.EPERM, try: func(tr *tracee, p peers) syscall.Errno {
		fd, errno := tr.call(unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_DGRAM, 0)
		if errno != 0 {
			return errno
		}
		_, errno = tr.call(unix.SYS_SENDTO, fd, tr.put([]byte("x")), 1, 0, tr.put(sockaddr4(p.udpPort())), 16)
		return errno
	}, reached: func(_ *tracee, p peers, _ syscall.Errno) bool { return p.udpReached() }},
	{name: "listening back door", confined: unix.EPERM, try: backDoor, reached: backDoorReached},
	{name: "read /etc/passwd", confined: unix.EACCES, try: func(tr *tracee, _ peers) syscall.Errno {
		_, errno := tr.call(unix.SYS_OPENAT, atFDCWD, tr.path("/etc/passwd"), unix.O_RDONLY|unix.O_CLOEXEC)
		return errno
	}, reached: func(_ *tracee, _ peers, errno syscall.Errno) bool { return errno == 0 }},
	{name: "create a file", confined: unix.EACCES, try: func(tr *tracee, p peers) syscall.Errno {
		_, errno := tr.call(unix.SYS_OPENAT, atFDCWD, tr.path(filepath.Join(p.dir, "created")),
			unix.O_CREAT|unix.O_WRONLY|unix.O_CLOEXEC, 0o600)
		return errno
	}, reached: func(_ *tracee, p peers, _ syscall.Errno) bool {
		_, err := os.Stat(filepath.Join(p.dir, "created"))
		return err == nil
	}},
	{name: "execve /bin/true", confined: unix.EPERM, try: func(tr *tracee, _ peers) syscall.Errno {
		_, errno := tr.call(unix.SYS_EXECVE, tr.path("/bin/true"), 8, 0)
		return errno
	}, reached: func(_ *tracee, _ peers, errno syscall.Errno) bool { return errno == unix.EFAULT }},
}

var atFDCWD = func() uintptr { fd := unix.AT_FDCWD; return uintptr(fd) }()

func mptcpAvailable() bool {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, unix.IPPROTO_MPTCP)
	if err == nil {
		unix.Close(fd)
	}
	return err == nil
}
