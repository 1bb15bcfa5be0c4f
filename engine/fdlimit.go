package engine

import (
	"errors"
	"net"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Near the fd limit (RLIMIT_NOFILE, which Go raises to the hard limit at
// start), an accepted connection needs one more fd for gnet's dup, and a
// failed dup would close a connection the client saw accepted. So, near the
// limit, the accept loop first checks that a dup would succeed and, if not,
// holds the connection and backs off until an fd frees up: the client waits
// instead of being dropped, and the rest stay queued in the kernel.

// fdHeadroom is how far below the fd limit the check starts: the server's
// own fds (stdio, listeners, epoll and eventfds, runtime files) are fewer.
const fdHeadroom = 256

func fdLimit() int64 {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil || rl.Cur > 1<<40 {
		return 1 << 40
	}
	return int64(rl.Cur)
}

// nearFDLimit reports whether open connections come close to the fd limit.
func (s *Server) nearFDLimit() bool {
	return s.handler.open.Load()+fdHeadroom >= s.fdLimit
}

// waitForFD holds c until one more fd can be opened, backing off between
// tries. It returns false when the server stops first.
func (s *Server) waitForFD(c net.Conn, sv *served) bool {
	var backoff time.Duration
	for !canDup(c) {
		if s.isStopping() {
			return false
		}
		backoff = s.acceptBackoff(sv, unix.EMFILE, backoff)
	}
	return true
}

// canDup reports whether c's fd can be duplicated now.
func canDup(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	var dupErr error
	_ = rc.Control(func(fd uintptr) {
		var probe int
		if probe, dupErr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0); dupErr == nil {
			_ = unix.Close(probe)
		}
	})
	return !errors.Is(dupErr, unix.EMFILE) && !errors.Is(dupErr, unix.ENFILE)
}
