package engine

import (
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/panjf2000/gnet/v2"
)

// Server echoes on a set of adopted sockets. Create it with New, start it
// with Start, stop it with Shutdown; Start, Shutdown, StopAccepting and
// Done are safe in any order, any number of times, from any goroutine.
type Server struct {
	opts    Options
	log     *slog.Logger
	sockets []*served
	handler *echoHandler
	client  *gnet.Client
	priv    *gnetPrivate // nil: gnet's public API only (gnetprivate.go)
	privErr error        // why priv is nil
	adm     admission    // stream connections taken on (admission.go)

	acceptors []*acceptor // stream listeners accepted on gnet's loops (accept.go)
	gnetLoops []loopRef   // the Client's event loops, when acceptors exist
	sysFiles  sysFiles    // the system's file table (fdlimit.go)

	mu       sync.Mutex // guards state and started; held for the whole of Start
	state    state
	started  bool           // Start succeeded (the state may have moved on to Closed)
	stoppers []io.Closer    // accept and datagram loops, stopped by StopAccepting
	loops    sync.WaitGroup // accept, datagram and vsock goroutines
	enroll   enrollers      // the pool that hands accepted connections to gnet
	vsock    connSet        // vsock connections being echoed

	rejectLog    rateLog
	fdLimit      int64         // RLIMIT_NOFILE at New
	connsOnly    bool          // every socket is an Accept=yes connection
	stopping     chan struct{} // closed when StopAccepting begins
	stopAccept   sync.Once
	acceptEnded  chan struct{} // closed when StopAccepting has finished
	drained      chan struct{} // closed when, after that, no connection is left
	drainOnce    sync.Once
	shutdownOnce sync.Once
	shutDown     chan struct{} // closed when Shutdown has finished
	shutdownErr  error
	done         chan struct{}
	doneOnce     sync.Once
}

// New prepares a server for sockets that Adopt returned. It takes
// ownership of every socket's fd: the server closes each one when it stops
// serving it (StopAccepting, Shutdown, a failed Start), and New closes them
// all when it fails. The caller must not use or close them any more.
func New(sockets []Socket, opts ...Option) (*Server, error) {
	o := loadOptions(opts)
	s := &Server{
		opts: o, log: o.Logger, fdLimit: fdLimit(),
		stopping: make(chan struct{}), acceptEnded: make(chan struct{}), drained: make(chan struct{}),
		shutDown: make(chan struct{}), done: make(chan struct{}),
		enroll: enrollers{ch: make(chan accepted, enrollerCount)},
	}
	s.priv, s.privErr = openGnetPrivate(o.noGnetPrivate)
	s.adm.max = int64(o.MaxConns)
	s.adm.onZero = s.noneOpen
	s.handler = &echoHandler{log: o.Logger, debug: o.Debug, idle: newIdleLoops(o.IdleTimeout), adm: &s.adm, priv: s.priv}
	s.connsOnly = len(sockets) > 0
	for _, sk := range sockets {
		s.sockets = append(s.sockets, &served{Socket: sk})
		s.connsOnly = s.connsOnly && sk.Kind == StreamConn
	}
	cli, err := gnet.NewClient(s.handler,
		gnet.WithNumEventLoop(o.Loops),
		// TCP_NODELAY is set already: by Go's net on every conn enrolled
		// (net.FileConn), and on the listener for the conns gnet's loops
		// accept (accept.go). TCPDelay only spares gnet a second
		// setsockopt per enrolled conn; it does not clear the option.
		gnet.WithTCPNoDelay(gnet.TCPDelay),
		gnet.WithLogger(gnetLogger{log: o.Logger, debug: o.Debug}),
	)
	if err != nil {
		s.closeSocketFDs()
		return nil, fmt.Errorf("engine: gnet client: %w", err)
	}
	s.client = cli
	return s, nil
}

// Start starts the event loops and serves every socket. A socket that fails
// to start is logged, closed and skipped; Start fails with
// ErrNothingToServe only when none is served, and then the server has
// closed every fd and is stopped. A second Start returns ErrStarted, a
// Start after Shutdown ErrServerClosed.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch s.state {
	case stateNew:
	case stateClosed:
		return ErrServerClosed
	default:
		return ErrStarted
	}
	if err := s.start(); err != nil {
		s.state = stateFailed
		s.markDone()
		return err
	}
	s.state, s.started = stateRunning, true
	return nil
}

func (s *Server) start() error {
	if s.privErr != nil {
		s.log.Warn("gnet private access off: accepting in Go, and closing slow readers instead of pausing them",
			"err", s.privErr, "unsent_limit", fallbackMaxUnsent)
	}
	s.prepareAcceptors()
	if err := s.client.Start(); err != nil {
		s.closeSocketFDs()
		return fmt.Errorf("engine: start event loops: %w", err)
	}
	s.findLoops()
	started := 0
	for _, sv := range s.sockets {
		if err := s.serve(sv); err != nil {
			s.log.Error("socket not served", "fd", sv.FD, "name", sv.Name, "err", err)
			continue
		}
		started++
	}
	if started == 0 {
		s.enroll.stop()
		_ = s.client.Stop()
		return ErrNothingToServe
	}
	if s.connsOnly && s.adm.open() == 0 {
		s.markDone() // every connection closed before Start returned
	}
	return nil
}

// prepareAcceptors enters every stream listener
// in gnet's listener map, before the loops start (accept.go).
func (s *Server) prepareAcceptors() {
	if s.priv == nil {
		return
	}
	for _, sv := range s.sockets {
		if sv.Kind == StreamListener {
			if sv.acc = s.newAcceptor(sv); sv.acc != nil {
				s.acceptors = append(s.acceptors, sv.acc)
			}
		}
	}
}

// findLoops reads the event loops the acceptors need; when that fails,
// the listeners are accepted in Go (logged once). No listener is in any
// epoll yet, so nothing reads the acceptors meanwhile.
func (s *Server) findLoops() {
	if len(s.acceptors) == 0 {
		return
	}
	loops, err := s.priv.loops(s.client)
	if err != nil {
		s.log.Warn("gnet event loops unreadable: accepting in Go", "err", err)
		for _, sv := range s.sockets {
			sv.acc = nil
		}
		s.acceptors = nil
		return
	}
	s.gnetLoops = loops
}

// serveStreamListener accepts on a TCP or unix stream listener: on gnet's
// loops (accept.go), or in Go without the private access (acceptgo.go).
func (s *Server) serveStreamListener(sv *served) error {
	if sv.acc != nil {
		sv.acc.start(s.gnetLoops)
		return nil
	}
	s.serveInGo(sv)
	return nil
}

// serve starts serving sv. On error, sv.FD is closed.
func (s *Server) serve(sv *served) error {
	switch sv.Kind {
	case StreamListener:
		return s.serveStreamListener(sv)
	case StreamConn:
		return s.serveStreamConn(sv)
	case Datagram:
		return s.serveDatagram(sv)
	case VsockListener:
		return s.serveVsock(sv)
	}
	_ = closeFD(sv.FD)
	return fmt.Errorf("unknown kind %v", sv.Kind)
}

// run runs loop in a goroutine until StopAccepting closes stop.
func (s *Server) run(stop io.Closer, loop func()) {
	s.stoppers = append(s.stoppers, stop)
	s.loops.Add(1)
	go func() {
		defer s.loops.Done()
		loop()
	}()
}

// noneOpen runs when the last open stream connection closes.
func (s *Server) noneOpen() {
	if s.connsOnly {
		s.markDone()
	}
	if s.isAcceptEnded() {
		s.drainOnce.Do(func() { close(s.drained) })
	}
}

func (s *Server) markDone() { s.doneOnce.Do(func() { close(s.done) }) }

// Done is closed when the server has nothing left to serve: once the last
// connection of an Accept=yes start (every socket a connection) has
// closed, once Start has failed, and once Shutdown has finished.
func (s *Server) Done() <-chan struct{} { return s.done }

// Open returns the number of stream connections (vsock included) being
// echoed now.
func (s *Server) Open() int64 { return s.adm.open() }

// Stats returns a snapshot of every served socket's counters.
func (s *Server) Stats() []SocketStats {
	out := make([]SocketStats, len(s.sockets))
	for i, sv := range s.sockets {
		out[i] = sv.snapshot()
	}
	return out
}

func (s *Server) closeSocketFDs() {
	for _, sv := range s.sockets {
		_ = closeFD(sv.FD)
	}
}
