package loadgen

import (
	"golang.org/x/sys/unix"
)

// socket opens a non-blocking, close-on-exec socket of t's kind.
func (t Target) socket() (int, error) {
	fd, err := unix.Socket(t.domain, t.typ|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	if t.domain != unix.AF_UNIX && t.typ == unix.SOCK_STREAM {
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	}
	return fd, nil
}

// dial starts a non-blocking connect. pending reports that the connect is
// still in progress: wait for EPOLLOUT, then check sockError. On error the
// socket is closed.
func (t Target) dial() (fd int, pending bool, err error) {
	fd, err = t.socket()
	if err != nil {
		return -1, false, err
	}
	switch err = unix.Connect(fd, t.sa); err {
	case nil:
		return fd, false, nil
	case unix.EINPROGRESS:
		return fd, true, nil
	}
	_ = unix.Close(fd)
	return -1, false, err
}

// sockError returns the pending error of a socket (SO_ERROR), e.g. the
// outcome of a non-blocking connect.
func sockError(fd int) error {
	v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return err
	}
	if v != 0 {
		return unix.Errno(v)
	}
	return nil
}

// retryable reports a transient dial error worth trying again: a full unix
// listen backlog (EAGAIN) or a momentary lack of ports or memory.
func retryable(err error) bool {
	return err == unix.EAGAIN || err == unix.EADDRNOTAVAIL || err == unix.ENOBUFS
}
