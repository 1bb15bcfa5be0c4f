//go:build linux

package engine

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Unix SOCK_SEQPACKET listeners (systemd ListenSequentialPacket=,
// --listen unixpacket://) are served outside gnet: gnet reads a connection
// into one stream buffer, which would merge records. The listener is
// accepted on like the Go accept path's (rawListener, acceptEach: queued
// connections are served at StopAccepting), and each connection is echoed
// by a goroutine of its own, one recvmsg and one send per record, so every
// record goes back as exactly one record, in order. Connections count in
// the server's admission (MaxConns, the drain) and sit in the connSet that
// Shutdown closes at the end of the drain. Records count in the socket's
// datagram counters, their bytes in its byte counters.

// MaxRecord is the largest SOCK_SEQPACKET record echoed: above the largest
// a client with the default send buffer can send (net.core.wmem_default
// 212992 less the kernel's 32 bytes: 212960). A larger record arrives
// truncated (MSG_TRUNC): it is not echoed, it counts as an error and the
// connection is closed, so the client sees the loss instead of a shortened
// record. Each connection's send buffer is raised to fit one (sendBuffer).
const MaxRecord = 256 << 10

// sendBuffer is the SO_SNDBUF asked for on every connection: a record is
// sent only if it is at most SO_SNDBUF - 32 bytes long. The kernel doubles
// the value after capping it at net.core.wmem_max (212992 by default: 416
// KiB); where wmem_max is below MaxRecord/2 the longest records fail to
// send (EMSGSIZE) and count as errors.
const sendBuffer = MaxRecord + 32

// recordBuffers hold one record each, only from its recvmsg to the end of
// its send: an idle connection holds none; one whose client does not read
// holds one until the client reads or goes, or the drain ends.
var recordBuffers = sync.Pool{New: func() any { b := make([]byte, MaxRecord); return &b }}

// errTruncated: a record larger than MaxRecord.
var errTruncated = fmt.Errorf("record larger than %d bytes", MaxRecord)

// seqpacketKind classifies a SOCK_SEQPACKET socket: only a listening
// AF_UNIX one is served.
func seqpacketKind(fd, domain int) (Kind, error) {
	if domain != unix.AF_UNIX {
		return 0, fmt.Errorf("%s socket of unsupported type SOCK_SEQPACKET", familyName(domain))
	}
	listening, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN)
	switch {
	case err != nil:
		return 0, fmt.Errorf("SO_ACCEPTCONN unreadable: %w", err)
	case listening != 1:
		return 0, errors.New("AF_UNIX SOCK_SEQPACKET socket not listening: unsupported (pass a listening one)")
	}
	return SeqpacketListener, nil
}

// serveSeqpacket accepts on sv until StopAccepting; it takes ownership of
// sv.FD.
func (s *Server) serveSeqpacket(sv *served) error {
	ln := newRawListener(sv, func(fd int) { s.takeRecordConn(fd, sv) })
	s.run(ln, func() { acceptEach(s, sv, ln.accept, ln.handle) })
	return nil
}

// takeRecordConn admits the accepted connection fd (or closes it over
// MaxConns) and echoes it in a goroutine; fd passes to it.
func (s *Server) takeRecordConn(fd int, sv *served) {
	if !s.admitOrReject(sv) || unix.SetNonblock(fd, true) != nil {
		_ = closeFD(fd)
		return
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, sendBuffer)
	f := os.NewFile(uintptr(fd), sv.Name) // non-blocking: in Go's netpoller
	s.goConns.add(f)
	go s.echoRecords(f, sv)
}

// echoRecords echoes every record of f until the peer closes, an error,
// the idle timeout, or Shutdown closes f. It owns f.
func (s *Server) echoRecords(f *os.File, sv *served) {
	defer s.adm.release(sv)
	defer s.goConns.remove(f)
	defer f.Close()
	sv.stats.accepted.Add(1)
	rc, _ := f.SyscallConn() // fails only for a nil *os.File
	for {
		if s.opts.IdleTimeout > 0 {
			_ = f.SetReadDeadline(time.Now().Add(s.opts.IdleTimeout))
		}
		err := echoRecord(rc, &sv.stats)
		switch {
		case err == nil:
			continue
		case errors.Is(err, os.ErrDeadlineExceeded):
			sv.stats.idleClosed.Add(1)
		case !peerGone(err) && !errors.Is(err, os.ErrClosed):
			sv.stats.errors.Add(1)
			s.log.Debug("record echo ended", "socket", sv.Name, "err", err)
		}
		return
	}
}

// errPeerClosed: recvmsg read the end of the connection.
var errPeerClosed = errors.New("peer closed")

// peerGone: the client closed, which is not an error of the server's.
func peerGone(err error) bool {
	return errors.Is(err, errPeerClosed) || errors.Is(err, unix.EPIPE) || errors.Is(err, unix.ECONNRESET)
}

// echoRecord waits for one record and sends it back whole.
func echoRecord(rc syscall.RawConn, c *counters) error {
	var buf *[]byte
	n, err := 0, error(nil)
	rerr := rc.Read(func(fd uintptr) bool {
		buf = recordBuffers.Get().(*[]byte)
		n, err = recvRecord(int(fd), *buf)
		if err == unix.EAGAIN {
			recordBuffers.Put(buf) // wait without a buffer
			return false
		}
		return true
	})
	if rerr != nil {
		return rerr
	}
	defer recordBuffers.Put(buf)
	if err != nil {
		return err
	}
	c.bytesIn.Add(uint64(n))
	c.datagramsIn.Add(1)
	werr := rc.Write(func(fd uintptr) bool {
		err = unix.Sendto(int(fd), (*buf)[:n], unix.MSG_NOSIGNAL, nil)
		return err != unix.EAGAIN
	})
	if werr != nil || err != nil {
		return errors.Join(werr, err)
	}
	c.bytesOut.Add(uint64(n))
	c.datagramsOut.Add(1)
	return nil
}

// recvRecord reads one record into buf with one recvmsg(2), without
// allocating (x/sys's Recvmsg converts the peer address). A record that
// does not fit is errTruncated; a 0-byte read is an empty record unless the
// peer has shut the connection down (then errPeerClosed: an empty record
// sent just before the close is lost with it).
func recvRecord(fd int, buf []byte) (int, error) {
	iov := unix.Iovec{Base: &buf[0]}
	iov.SetLen(len(buf))
	msg := unix.Msghdr{Iov: &iov, Iovlen: 1}
	r, _, e := unix.RawSyscall(unix.SYS_RECVMSG, uintptr(fd), uintptr(unsafe.Pointer(&msg)), unix.MSG_DONTWAIT)
	for e == unix.EINTR {
		r, _, e = unix.RawSyscall(unix.SYS_RECVMSG, uintptr(fd), uintptr(unsafe.Pointer(&msg)), unix.MSG_DONTWAIT)
	}
	switch {
	case e != 0:
		return 0, e
	case msg.Flags&unix.MSG_TRUNC != 0:
		return 0, errTruncated
	case r == 0 && peerShutDown(fd):
		return 0, errPeerClosed
	}
	return int(r), nil
}

// peerShutDown reports whether no more records can come on fd: the peer
// closed or shut down its sending side (the kernel then says POLLRDHUP).
func peerShutDown(fd int) bool {
	p := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLRDHUP}}
	n, err := unix.Poll(p, 0)
	return err != nil || n == 1 && p[0].Revents&(unix.POLLRDHUP|unix.POLLHUP) != 0
}
