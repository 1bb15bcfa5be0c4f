//go:build linux

package engine

import "github.com/panjf2000/gnet/v2"

// streamPath is how the connections of stream listeners (TCP and unix)
// reach gnet, chosen once at Start:
//
//   - loopPath (accept.go): each listener is in every event loop's epoll
//     and gnet's loop accepts and opens the connection inline; the
//     listener's address, which gnet gives every connection it accepts
//     there, carries the acceptor that admits it. It needs gnet's private
//     state (gnetprivate.go).
//   - goPath (acceptgo.go): a goroutine accepts, and the enroller pool
//     (enroll.go) hands each connection to gnet with its *connState as the
//     gnet context. It needs only gnet's public API.
//
// Either way OnOpen takes the state the path gave the connection
// (connOrigin), and no lock is taken per connection on the loop path.
type streamPath interface {
	// serve accepts on the stream listener sv from now on.
	serve(sv *served)
	// stop is StopAccepting's part: when it returns no listener is
	// accepted on, the connections already queued are taken, and the
	// listeners' fds are closed (or, on the loop path, held by a
	// placeholder until the loops stop: see acceptor.finish).
	stop()
	// loopsStopped runs after gnet's event loops have stopped.
	loopsStopped()
}

// goPath accepts every stream listener in Go (acceptgo.go).
type goPath struct{ s *Server }

func (p goPath) serve(sv *served) { p.s.serveInGo(sv) }
func (goPath) stop()              {} // the accept goroutines are stoppers: StopAccepting closes them
func (goPath) loopsStopped()      {}

// loopPath accepts stream listeners on gnet's event loops (accept.go).
type loopPath struct {
	s         *Server
	acceptors []*acceptor
	loops     []loopRef
	inGo      goPath // a listener gnet cannot take (no local address) is accepted in Go
}

// newLoopPath enters every stream listener in gnet's listener map; call it
// before the Client starts.
func (s *Server) newLoopPath() *loopPath {
	p := &loopPath{s: s, inGo: goPath{s}}
	for _, sv := range s.sockets {
		if sv.Kind != StreamListener {
			continue
		}
		if a := s.newAcceptor(sv); a != nil {
			sv.acc = a
			p.acceptors = append(p.acceptors, a)
		}
	}
	return p
}

// findLoops reads the event loops the acceptors need, once the Client has
// started. No listener is in any epoll yet, so nothing reads the acceptors
// meanwhile, and on error the caller falls back to goPath.
func (p *loopPath) findLoops() error {
	if len(p.acceptors) == 0 {
		return nil
	}
	loops, err := p.s.priv.loops(p.s.client)
	p.loops = loops
	return err
}

func (p *loopPath) serve(sv *served) {
	if sv.acc == nil {
		p.inGo.serve(sv)
		return
	}
	sv.acc.start(p.loops)
}

// stop takes every listener off gnet's loops, waits until no loop can
// still act on one, then accepts what is queued and closes them.
func (p *loopPath) stop() {
	if len(p.acceptors) == 0 {
		return
	}
	for _, a := range p.acceptors {
		a.halt()
	}
	quiesce(p.loops)
	for _, a := range p.acceptors {
		a.finish()
	}
}

func (p *loopPath) loopsStopped() {
	for _, a := range p.acceptors {
		a.closePlaceholder()
	}
}

// toGo moves every listener off the loops (fds are low).
func (p *loopPath) toGo() {
	for _, a := range p.acceptors {
		a.toGo()
	}
}

// connOrigin returns the state the connection's path gave it. A connection
// enrolled through Client.EnrollContext (the Go path, Accept=yes, or near
// the fd limit) carries its *connState as gnet context, admitted already;
// one a loop accepted carries its listener as LocalAddr (a *listenAddr),
// whose acceptor admits it now and gives it its state.
func connOrigin(c gnet.Conn) *connState {
	if st, ok := c.Context().(*connState); ok {
		return st
	}
	return c.LocalAddr().(*listenAddr).acc.opened(c)
}
