//go:build linux

package echotest

import (
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// RecordConn is the client end of a unix SOCK_SEQPACKET connection on a
// raw, blocking fd with 10 s send and receive timeouts, so that record
// boundaries, MSG_TRUNC and empty records show (Go's net reads an empty
// record as io.EOF).
type RecordConn struct {
	fd     int
	closed bool
}

// DialRecords connects to the SOCK_SEQPACKET socket at addr (a path, or
// @name for an abstract one), with a send buffer that fits records of
// sndbuf bytes (the kernel caps it at net.core.wmem_max × 2). The caller
// closes it.
func DialRecords(addr string, sndbuf int) (*RecordConn, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	tv := unix.NsecToTimeval(int64(10 * time.Second))
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv)
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, sndbuf/2+32) // the kernel doubles it
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: addr}); err != nil {
		_ = unix.Close(fd)
		return nil, err
	}
	return &RecordConn{fd: fd}, nil
}

// Close closes the connection; a second Close does nothing.
func (c *RecordConn) Close() {
	if !c.closed {
		c.closed = true
		_ = unix.Close(c.fd)
	}
}

// Send sends p as one record.
func (c *RecordConn) Send(p []byte) error {
	return retry(func() error { return unix.Sendto(c.fd, p, unix.MSG_NOSIGNAL, nil) })
}

// retry runs a blocking socket call again after EINTR: with SO_RCVTIMEO
// or SO_SNDTIMEO set the kernel does not restart it, and the Go runtime's
// preemption signal (SIGURG) interrupts it.
func retry(call func() error) error {
	for {
		if err := call(); err != unix.EINTR {
			return err
		}
	}
}

// Recv reads one record into a buffer one byte longer than want and checks
// that it is want exactly: one record, not truncated, byte-exact.
func (c *RecordConn) Recv(want []byte) error {
	buf := make([]byte, len(want)+1)
	var n, flags int
	err := retry(func() (err error) {
		n, _, flags, _, err = unix.Recvmsg(c.fd, buf, nil, 0)
		return err
	})
	switch {
	case err != nil:
		return err
	case flags&unix.MSG_TRUNC != 0 || n != len(want):
		return fmt.Errorf("got a record of %d bytes (flags %#x), want %d", n, flags, len(want))
	}
	return Compare(buf[:n], want)
}

// Echo sends p and checks that it comes back as one record.
func (c *RecordConn) Echo(p []byte) error {
	if err := c.Send(p); err != nil {
		return err
	}
	return c.Recv(p)
}

// EchoInFlight sends every record without waiting for its echo (from a
// goroutine) while it reads the echoes back one by one, each of which must
// be its record exactly, in order. On error it returns the index of the
// record whose echo was wrong (-1 when the sending failed).
func (c *RecordConn) EchoInFlight(records [][]byte) (int, error) {
	sent := make(chan error, 1)
	go func() {
		for _, r := range records {
			if err := c.Send(r); err != nil {
				sent <- err
				return
			}
		}
		sent <- nil
	}()
	for i, r := range records {
		if err := c.Recv(r); err != nil {
			return i, err
		}
	}
	return -1, <-sent
}

// Ended waits (up to the receive timeout) for the server to close the
// connection and reports whether it did: a read gets 0 bytes and the kernel
// says the peer is gone (POLLRDHUP), or a reset.
func (c *RecordConn) Ended() bool {
	buf := make([]byte, 16)
	var n int
	err := retry(func() (err error) {
		n, err = unix.Read(c.fd, buf)
		return err
	})
	if errors.Is(err, unix.ECONNRESET) {
		return true
	}
	p := []unix.PollFd{{Fd: int32(c.fd), Events: unix.POLLRDHUP}}
	k, perr := unix.Poll(p, 0)
	return err == nil && n == 0 && perr == nil && k == 1 && p[0].Revents&(unix.POLLRDHUP|unix.POLLHUP) != 0
}
