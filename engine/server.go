//go:build linux

package engine

import (
	"context"
	"errors"
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

	stream   streamPath // how stream listeners are accepted, chosen at Start (stream.go)
	loopPath *loopPath  // stream, when it accepts on gnet's loops; else nil
	sysFiles sysFiles   // the system's file table (fdlimit.go)

	mu       sync.Mutex     // guards state and started; held for the whole of Start
	state    state          // the lifecycle (lifecycle.go: moves)
	started  bool           // Start succeeded (the state may have moved on since)
	stoppers []io.Closer    // accept and datagram loops, stopped by StopAccepting
	loops    sync.WaitGroup // accept, datagram and vsock goroutines
	enroll   enrollers      // the pool that hands accepted connections to gnet
	goConns  connSet        // connections echoed in goroutines: vsock (vsock.go), unixpacket (seqpacket.go)

	// What a caller or a goroutine of the server can wait for, in the
	// order they happen.
	stopping    signal // StopAccepting began
	acceptEnded signal // StopAccepting has finished
	drained     signal // after that, no connection is left
	shutDown    signal // Shutdown has finished; shutdownErr is its result
	done        signal // nothing is left to serve (Done)
	shutdownErr error

	rejectLog rateLog
	fdLimit   int64 // RLIMIT_NOFILE at New
	connsOnly bool  // every socket is an Accept=yes connection
}

// New prepares a server for sockets that Adopt returned. It takes
// ownership of every socket's fd: the server closes each one when it stops
// serving it (StopAccepting, Shutdown, a failed Start), and New closes them
// all when it fails. The caller must not use or close them any more.
func New(sockets []Socket, opts ...Option) (*Server, error) {
	o := loadOptions(opts)
	s := &Server{
		opts: o, log: o.Logger, fdLimit: FDLimit(),
		stopping: newSignal(), acceptEnded: newSignal(), drained: newSignal(),
		shutDown: newSignal(), done: newSignal(),
		enroll: enrollers{ch: make(chan accepted, enrollerCount)},
	}
	s.priv, s.privErr = openGnetPrivate(o.noGnetPrivate)
	s.adm.max = int64(o.MaxConns)
	s.adm.onZero = s.noneOpen
	s.connsOnly = len(sockets) > 0
	streams := false // gnet is started only for stream sockets
	for _, sk := range sockets {
		s.sockets = append(s.sockets, &served{Socket: sk})
		s.connsOnly = s.connsOnly && sk.Kind == StreamConn
		streams = streams || sk.Kind == StreamListener || sk.Kind == StreamConn
	}
	src, err := newSources(o)
	if err != nil {
		s.closeSocketFDs()
		return nil, fmt.Errorf("engine: per-source limits: %w", err)
	}
	s.handler = &echoHandler{log: o.Logger, debug: o.Debug, idle: newIdleLoops(o.IdleTimeout), adm: &s.adm, priv: s.priv, src: src}
	if !streams {
		return s, nil
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
		s.move(stateFailed)
		s.markDone()
		return err
	}
	s.move(stateRunning)
	s.started = true
	return nil
}

func (s *Server) start() error {
	if s.privErr != nil {
		s.log.Warn("gnet private access off: accepting in Go, and closing slow readers instead of pausing them",
			"err", s.privErr, "unsent_limit", fallbackMaxUnsent)
	}
	if err := s.startGnet(); err != nil {
		s.closeSocketFDs()
		return err
	}
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
		s.stopGnet()
		return ErrNothingToServe
	}
	if s.connsOnly && s.adm.open() == 0 {
		s.markDone() // every connection closed before Start returned
	}
	return nil
}

// startGnet starts gnet's event loops, when there is a stream socket, and
// chooses the stream path (stream.go): the loops when gnet's private state
// is open and its loops readable, else Go.
func (s *Server) startGnet() error {
	if s.client == nil {
		return nil
	}
	var lp *loopPath
	if s.priv != nil {
		lp = s.newLoopPath() // before the loops start: gnet reads its listener map then
	}
	if err := s.client.Start(); err != nil {
		return fmt.Errorf("engine: start event loops: %w", err)
	}
	s.stream = goPath{s}
	if lp == nil {
		return nil
	}
	if err := lp.findLoops(); err != nil {
		s.log.Warn("gnet event loops unreadable: accepting in Go", "err", err)
		for _, sv := range s.sockets {
			sv.acc = nil
		}
		return nil
	}
	s.stream, s.loopPath = lp, lp
	return nil
}

// stopGnet stops gnet's event loops, if they were started.
func (s *Server) stopGnet() {
	if s.client == nil {
		return
	}
	if err := s.client.Stop(); err != nil && !errors.Is(err, context.Canceled) {
		s.log.Debug("gnet stop", "err", err)
	}
	if s.stream != nil {
		s.stream.loopsStopped()
	}
}

// serve starts serving sv. On error, sv.FD is closed.
func (s *Server) serve(sv *served) error {
	switch sv.Kind {
	case StreamListener:
		s.stream.serve(sv)
		return nil
	case StreamConn:
		return s.serveStreamConn(sv)
	case Datagram:
		return s.serveDatagram(sv)
	case VsockListener:
		return s.serveVsock(sv)
	case SeqpacketListener:
		return s.serveSeqpacket(sv)
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
		s.drained.fire()
	}
}

func (s *Server) markDone() { s.done.fire() }

// Done is closed when the server has nothing left to serve: once the last
// connection of an Accept=yes start (every socket a connection) has
// closed, once Start has failed, and once Shutdown has finished.
func (s *Server) Done() <-chan struct{} { return s.done.wait() }

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
