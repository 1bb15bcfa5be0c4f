//go:build linux

package engine

import (
	"errors"
	"net"
	"os"
	"sync"

	"github.com/panjf2000/gnet/v2"
)

// Connections accepted in Go enter gnet through Client.EnrollContext, which
// waits until the event loop has registered the connection. Waiting in the
// accept loop would let one connection in per event-loop round trip. So
// the accept loop hands connections to a fixed pool of enrollers and goes
// on accepting, and the event loop registers a batch of connections per
// wake-up (bench/results/design-figures.md has the rates). The pool is fixed, rather than a goroutine per connection, so
// that a storm of connections does not also become a storm of goroutine
// stacks. Near the fd limit, enrollment stays in the accept loop so that
// accepting stops while a connection waits for an fd.

// enrollerCount is the size of the pool that hands connections to gnet.
const enrollerCount = 32

// accepted is a connection on its way to an enroller.
type accepted struct {
	fd int
	sv *served
}

// enrollers is the pool: made in New, started by the first connection
// accepted in Go (a server that accepts only on gnet's loops, or has no
// stream listener, runs none of its goroutines), stopped by StopAccepting
// once the accept loops have ended.
type enrollers struct {
	ch        chan accepted
	wg        sync.WaitGroup
	startOnce sync.Once
	stopOnce  sync.Once
}

func (e *enrollers) start(s *Server) { e.startOnce.Do(func() { e.run(s) }) }

func (e *enrollers) run(s *Server) {
	for range enrollerCount {
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			for a := range e.ch {
				s.enrollFD(a.fd, a.sv)
			}
		}()
	}
}

// stop ends the pool once nothing can send to it any more.
func (e *enrollers) stop() {
	e.stopOnce.Do(func() { close(e.ch) })
	e.wg.Wait()
}

// takeConn admits a connection accepted on sv, or closes it over MaxConns,
// and hands it to the pool. The fd nfd passes to takeConn.
func (s *Server) takeConn(nfd int, sv *served) {
	if !s.admitOrReject(sv) {
		_ = closeFD(nfd)
		return
	}
	if s.nearFDLimit() {
		s.enrollFD(nfd, sv)
		return
	}
	s.enroll.start(s)
	s.enroll.ch <- accepted{nfd, sv}
}

// errPeerGone: the client reset the connection before it reached gnet
// (net.FileConn found no peer address), which is not an error of ours.
var errPeerGone = errors.New("peer gone before enrollment")

// errRejected: OnOpen closed the connection at once (counted and logged
// there).
var errRejected = errors.New("connection refused by a per-source limit")

// errNotOpened: gnet dropped a connection without opening it (its epoll
// registration failed; gnet closed its fd).
var errNotOpened = errors.New("gnet did not open the connection")

// enrollFD hands the admitted connection nfd to gnet; nfd passes to this
// function. net.FileConn and EnrollContext each work on a duplicate (gnet's
// public API takes only a *net.TCPConn or *net.UnixConn) and both earlier
// copies are closed here, so gnet's is the connection's one live fd (the
// O_NONBLOCK that FileConn sets is on all three: they share one open file
// description). On failure the connection is closed and its admission
// released.
func (s *Server) enrollFD(nfd int, sv *served) {
	if s.nearFDLimit() && !s.waitForFD(nfd, sv) {
		_ = closeFD(nfd)
		s.adm.release(sv)
		return
	}
	f := os.NewFile(uintptr(nfd), sv.Name)
	c, err := net.FileConn(f)
	_ = f.Close()
	if err != nil {
		s.adm.release(sv)
	} else {
		_, err = s.enrollConn(c, sv)
	}
	if err != nil && err != errPeerGone && err != errRejected {
		sv.stats.errors.Add(1)
		s.log.Warn("connection not enrolled", "socket", sv.Name, "err", err)
	}
}

// enrollConn hands the admitted c to gnet, which dups it and closes c. On
// failure the admission is released.
func (s *Server) enrollConn(c net.Conn, sv *served) (gnet.Conn, error) {
	if c.RemoteAddr() == nil { // EnrollContext would dereference it
		_ = c.Close()
		s.adm.release(sv)
		return nil, errPeerGone
	}
	st := &connState{sv: sv, admitted: true}
	gc, err := s.client.EnrollContext(c, st)
	if err == nil && !st.admitted { // OnOpen rejected it and released its admission
		return nil, errRejected
	}
	if err == nil && !st.opened { // OnOpen ran before EnrollContext returned, if at all
		err = errNotOpened
	}
	if err != nil {
		s.adm.release(sv)
		return nil, err
	}
	return gc, nil
}

// serveStreamConn enrolls a connected stream socket (systemd Accept=yes).
// Once it is in gnet, sv.FD records gnet's copy, the connection's one live
// fd (see enrollFD).
func (s *Server) serveStreamConn(sv *served) error {
	if !s.admitOrReject(sv) {
		_ = closeFD(sv.FD)
		return errors.New("over MaxConns")
	}
	c, err := fromFD(sv, net.FileConn)
	if err != nil {
		s.adm.release(sv)
		return err
	}
	gc, err := s.enrollConn(c, sv)
	if err != nil {
		return err
	}
	sv.FD = gc.Fd()
	return nil
}
