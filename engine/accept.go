package engine

import (
	"errors"
	"net"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// serveStreamListener accepts on a listening TCP or unix stream socket and
// enrolls each connection in gnet (Client.EnrollContext dups its fd, adds it
// to an event loop and closes the Go-side conn).
//
// EnrollContext waits until the event loop has registered the connection.
// Waiting in the accept loop would let one connection in per event-loop
// round trip: measured with 50 connecting clients, 0.77 of the rate of a
// gnet server with its own listener and a p99 of 23 ms. So the accept loop
// hands connections to a fixed pool of enrollers (enrollers goroutines)
// and goes on accepting; the event loop then registers a batch of
// connections per wake-up (parity in rate, p99 7 ms). The pool is fixed,
// rather than a goroutine per connection, so that a storm of connections
// does not also become a storm of goroutine stacks. Near the fd limit,
// enrollment stays in the accept loop so that accepting stops while a
// connection waits for an fd.
func (s *Server) serveStreamListener(sv *served) error {
	ln, err := fromFD(sv, net.FileListener)
	if err != nil {
		return err
	}
	s.run(ln, func() { s.acceptLoop(ln, sv, func(c net.Conn) { s.enrollAsync(c, sv) }) })
	return nil
}

// fromFD builds what open makes of the adopted fd as an *os.File
// (net.FileListener, net.FileConn, vsock.FileListener); each of those dups
// the fd, so the adopted copy is closed here.
func fromFD[T any](sv *served, open func(*os.File) (T, error)) (T, error) {
	f := os.NewFile(uintptr(sv.FD), sv.Name)
	defer f.Close()
	return open(f)
}

// acceptLoop hands every accepted connection to handle until ln is closed.
func (s *Server) acceptLoop(ln net.Listener, sv *served, handle func(net.Conn)) {
	var backoff time.Duration
	for {
		c, err := ln.Accept()
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

// enrollers is the size of the pool that hands accepted connections to gnet.
const enrollers = 32

// accepted is a connection on its way to an enroller.
type accepted struct {
	c  net.Conn
	sv *served
}

// startEnrollers starts the pool; Shutdown stops it once the accept loops
// have ended.
func (s *Server) startEnrollers() {
	s.toEnroll = make(chan accepted, enrollers)
	for range enrollers {
		s.enrolling.Add(1)
		go func() {
			defer s.enrolling.Done()
			for a := range s.toEnroll {
				s.enroll(a.c, a.sv)
			}
		}()
	}
}

// enrollAsync passes c to the pool (see serveStreamListener); when all
// enrollers are busy, the accept loop waits and the kernel queues.
func (s *Server) enrollAsync(c net.Conn, sv *served) {
	if s.nearFDLimit() {
		s.enroll(c, sv)
		return
	}
	s.toEnroll <- accepted{c, sv}
}

// enroll hands c to gnet; gnet owns the connection from here on. Over
// MaxConns (counting enrollments under way), c is closed at once and
// counted as rejected.
func (s *Server) enroll(c net.Conn, sv *served) {
	pending := s.pending.Add(1)
	defer s.pending.Add(-1)
	if s.opts.MaxConns > 0 && s.handler.open.Load()+pending > int64(s.opts.MaxConns) {
		_ = c.Close()
		sv.stats.rejected.Add(1)
		s.rejectLog.warn(s.log, "connection limit reached, closing new connections", "socket", sv.Name, "max_conns", s.opts.MaxConns)
		return
	}
	if s.nearFDLimit() && !s.waitForFD(c, sv) {
		_ = c.Close()
		return
	}
	if _, err := s.client.EnrollContext(c, &connState{sv: sv}); err != nil {
		sv.stats.errors.Add(1)
		s.log.Warn("connection not enrolled", "socket", sv.Name, "err", err)
	}
}

func (s *Server) isStopping() bool {
	select {
	case <-s.stopping:
		return true
	default:
		return false
	}
}

// acceptBackoff pauses after an accept error (EMFILE, ENFILE, ENOBUFS...)
// instead of spinning: 5 ms doubling up to AcceptBackoffMax, logging once
// per burst. Shutdown cuts the pause short.
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
	case <-s.stopping:
	}
	return next
}

// serveStreamConn enrolls a connected stream socket (systemd Accept=yes).
func (s *Server) serveStreamConn(sv *served) error {
	c, err := fromFD(sv, net.FileConn)
	if err != nil {
		return err
	}
	_, err = s.client.EnrollContext(c, &connState{sv: sv})
	return err
}

func closeFD(fd int) error { return unix.Close(fd) }
