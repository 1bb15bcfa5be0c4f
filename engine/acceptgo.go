//go:build linux

package engine

import (
	"errors"
	"net"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The Go accept paths: where gnet's loops do not accept (accept.go), a
// goroutine does, and hands each connection to the enroller pool
// (enroll.go), which enrolls it in gnet.

// serveInGo accepts on a listening TCP or unix stream socket in a
// goroutine that waits in Go's netpoller: the path without gnet's private
// state (gnetprivate.go). StopAccepting stops it, accepts what is queued
// and closes sv.FD.
func (s *Server) serveInGo(sv *served) {
	ln := newRawListener(sv, func(fd int) { s.takeConn(fd, sv) })
	s.run(ln, func() { acceptEach(s, sv, ln.accept, ln.handle) })
}

// rawListener accepts on the adopted fd itself, with accept4(2), rather
// than through net.FileListener, which would work on a duplicate: the
// adopted fd stays the socket's one live number in the server.
type rawListener struct {
	f      *os.File // owns sv.FD: Close closes it
	rc     syscall.RawConn
	handle func(fd int) // takes each accepted connection
}

// newRawListener takes ownership of sv.FD (non-blocking since Adopt, so
// os.NewFile registers it with Go's netpoller).
func newRawListener(sv *served, handle func(int)) *rawListener {
	f := os.NewFile(uintptr(sv.FD), sv.Name)
	rc, _ := f.SyscallConn() // fails only for a nil *os.File
	return &rawListener{f: f, rc: rc, handle: handle}
}

// accept waits for and accepts one connection. The fd it returns is
// blocking and close-on-exec, and the caller's.
func (l *rawListener) accept() (int, error) {
	nfd, aerr := -1, error(nil)
	err := l.rc.Read(func(fd uintptr) bool {
		nfd, aerr = accept4(int(fd), unix.SOCK_CLOEXEC)
		return aerr != unix.EAGAIN
	})
	if err != nil {
		return -1, err
	}
	return nfd, aerr
}

// Close ends a pending accept, takes the connections already queued
// (acceptQueued) and closes the fd. Call it once the server is stopping.
func (l *rawListener) Close() error {
	_ = l.f.SetReadDeadline(time.Unix(1, 0))
	_ = l.rc.Control(func(fd uintptr) { acceptQueued(int(fd), l.handle) })
	return l.f.Close()
}

// maxQueued bounds acceptQueued: more than any listen backlog.
const maxQueued = 1 << 16

// acceptQueued accepts, without waiting, the connections queued on the
// non-blocking listening socket fd, and hands each to handle.
func acceptQueued(fd int, handle func(int)) {
	for range maxQueued {
		nfd, err := accept4(fd, unix.SOCK_CLOEXEC)
		if err != nil {
			return
		}
		handle(nfd)
	}
}

// accept4 accepts one connection, retrying what only says that a queued
// connection went away before it was taken (or a signal came).
func accept4(fd, flags int) (int, error) {
	for {
		nfd, _, err := unix.Accept4(fd, flags)
		if err != unix.EINTR && err != unix.ECONNABORTED {
			return nfd, err
		}
	}
}

// acceptEach hands every accepted connection to handle until the server
// stops or the listener is closed, backing off after errors.
func acceptEach[T any](s *Server, sv *served, accept func() (T, error), handle func(T)) {
	var backoff time.Duration
	for {
		c, err := accept()
		if err != nil {
			if s.isStopping() || errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrClosed) {
				return
			}
			backoff = s.acceptBackoff(sv, err, backoff)
			continue
		}
		backoff = 0
		handle(c)
	}
}

// acceptBackoff pauses after an accept error (EMFILE, ENFILE, ENOBUFS...)
// instead of spinning: 5 ms doubling up to AcceptBackoffMax, logging once
// per burst. StopAccepting cuts the pause short.
func (s *Server) acceptBackoff(sv *served, err error, prev time.Duration) time.Duration {
	sv.stats.errors.Add(1)
	next := 2 * prev
	if prev == 0 {
		next = 5 * time.Millisecond
		s.log.Warn("accept failing, backing off", "socket", sv.Name, "err", err)
	}
	next = min(next, s.opts.AcceptBackoffMax)
	select {
	case <-time.After(next):
	case <-s.stopping.wait():
	}
	return next
}

// fromFD hands the adopted fd to open (net.FileListener, net.FileConn),
// which works on a duplicate: the duplicate becomes the socket's one live
// number (recorded in sv.FD) and the adopted fd is closed, whether open
// succeeds or not.
func fromFD[T any](sv *served, open func(*os.File) (T, error)) (T, error) {
	f := os.NewFile(uintptr(sv.FD), sv.Name)
	defer f.Close()
	v, err := open(f)
	if err == nil {
		sv.FD = liveFD(v)
	}
	return v, err
}

// liveFD is the fd behind v, or -1.
func liveFD(v any) int {
	fd := -1
	if sc, ok := v.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			_ = rc.Control(func(u uintptr) { fd = int(u) })
		}
	}
	return fd
}

func closeFD(fd int) error { return unix.Close(fd) }

// nearLimitPoll is how long acceptNearLimit waits for a connection before
// it looks at the fds (and at StopAccepting) again.
const nearLimitPoll = 50 * time.Millisecond

// acceptNearLimit accepts on a's listener while no loop does (fds are
// low, accept.go): accept4 with acceptBackoff after EMFILE and the like,
// and poll(2) to wait, until fds are ample again (the loops take over) or
// the server stops. poll(2) rather than Go's netpoller, because
// registering the fd there (os.NewFile) could not be undone without
// closing it, and the netpoller would then wake for every connection the
// loops accept.
func (a *acceptor) acceptNearLimit() {
	defer a.goAccept.Done()
	var backoff time.Duration
	for !a.s.isStopping() {
		if a.s.fdsAmple() && a.backToLoops() {
			return
		}
		nfd, err := accept4(a.fd, unix.SOCK_CLOEXEC)
		switch {
		case err == nil:
			backoff = 0
			a.s.takeConn(nfd, a.sv)
		case err == unix.EAGAIN:
			waitReadable(a.fd, nearLimitPoll)
		default:
			backoff = a.s.acceptBackoff(a.sv, err, backoff)
		}
	}
}

// waitReadable waits until fd is readable or timeout passes.
func waitReadable(fd int, timeout time.Duration) {
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	_, _ = unix.Poll(fds, int(timeout.Milliseconds()))
}
