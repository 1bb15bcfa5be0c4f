//go:build linux

package engine

import (
	"errors"
	"time"

	"golang.org/x/sys/unix"
)

// Near the fd limit (RLIMIT_NOFILE, which Go raises to the hard limit at
// start), an accepted connection needs two more fds on its way into gnet
// (net.FileConn's copy and gnet's), and a failed dup would close a
// connection the client saw accepted. So, near the limit, the accept loop
// first checks that the dups would succeed and, if not, holds the
// connection and backs off until fds free up: the client waits instead of
// being dropped, and the rest stay queued in the kernel.

// fdHeadroom is how far below the fd limit the check starts: the server's
// own fds (stdio, listeners, epoll and eventfds, runtime files) are fewer.
const fdHeadroom = 256

// dupsPerConn is how many fds a connection's enrollment needs at once,
// beyond its own.
const dupsPerConn = 2

// FDLimit is the process's soft RLIMIT_NOFILE: the limit the fd guard
// works below, and the number the command's default per-source cap is a
// quarter of when --max-conns is 0.
func FDLimit() int64 {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil || rl.Cur > 1<<40 {
		return 1 << 40
	}
	return int64(rl.Cur)
}

// nearFDLimit reports whether open connections come close to the fd limit.
func (s *Server) nearFDLimit() bool {
	return s.adm.open()+fdHeadroom >= s.fdLimit
}

// fdsLow reports whether gnet's loops must stop accepting (accept.go): the
// process is near its fd limit or the system near its file table's.
func (s *Server) fdsLow() bool { return s.nearFDLimit() || s.sysFiles.low() }

// fdsAmple reports whether the loops may accept again: fdsLow with a
// margin, so that the listeners do not flap at the edge.
func (s *Server) fdsAmple() bool {
	return s.adm.open()+2*fdHeadroom < s.fdLimit && !s.sysFiles.low()
}

// waitForFD holds the connection fd until its enrollment can have the fds
// it needs, backing off between tries. It returns false when the server
// stops first.
func (s *Server) waitForFD(fd int, sv *served) bool {
	var backoff time.Duration
	for !canDup(fd, dupsPerConn) {
		if s.isStopping() {
			return false
		}
		backoff = s.acceptBackoff(sv, unix.EMFILE, backoff)
	}
	return true
}

// canDup reports whether fd can be duplicated n times now.
func canDup(fd, n int) bool {
	var probes []int
	defer func() {
		for _, p := range probes {
			_ = unix.Close(p)
		}
	}()
	for range n {
		p, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
		if errors.Is(err, unix.EMFILE) || errors.Is(err, unix.ENFILE) {
			return false
		}
		if err == nil {
			probes = append(probes, p)
		}
	}
	return true
}
