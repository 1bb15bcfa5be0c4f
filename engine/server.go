package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// Server echoes on a set of adopted sockets. Create it with New, start it
// with Start, stop it with Shutdown.
type Server struct {
	opts     Options
	log      *slog.Logger
	sockets  []*served
	handler  *echoHandler
	client   *gnet.Client
	stoppers []io.Closer // accept and datagram loops, stopped by Shutdown

	loops      sync.WaitGroup // accept, datagram and vsock goroutines
	enrolling  sync.WaitGroup // the enroller pool
	toEnroll   chan accepted  // accepted connections for the enroller pool
	pending    atomic.Int64   // connections accepted, not yet open in gnet
	vsockOpen  sync.WaitGroup // vsock connections being echoed
	vsockConns connSet
	rejectLog  rateLog
	fdLimit    int64         // RLIMIT_NOFILE at start
	stopping   chan struct{} // closed when Shutdown begins
	done       chan struct{}
	doneOnce   sync.Once
}

// New prepares a server for sockets that Adopt returned; the server owns and
// closes their fds from now on, whether Start succeeds or not.
func New(sockets []Socket, opts ...Option) (*Server, error) {
	o := loadOptions(opts)
	s := &Server{opts: o, log: o.Logger, done: make(chan struct{}), stopping: make(chan struct{}), fdLimit: fdLimit()}
	s.handler = &echoHandler{log: o.Logger, debug: o.Debug, idleTimeout: o.IdleTimeout}
	connsOnly := len(sockets) > 0
	for _, sk := range sockets {
		s.sockets = append(s.sockets, &served{Socket: sk})
		connsOnly = connsOnly && sk.Kind == StreamConn
	}
	if connsOnly { // set before any event loop runs OnClose
		s.handler.onIdle = s.markDone
	}
	cli, err := gnet.NewClient(s.handler,
		gnet.WithMulticore(true),
		gnet.WithNumEventLoop(o.Loops),
		gnet.WithLoadBalancing(gnet.LeastConnections),
		// Go's net already set TCP_NODELAY on every accepted or inherited
		// TCP conn (the socket gnet dups): TCPDelay only spares gnet a
		// second setsockopt per connection; it does not clear the option.
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
// to start is logged and skipped; Start fails with ErrNothingToServe only
// when none is served. When every socket is a connected stream (systemd
// Accept=yes), Done is closed once the last of them closes.
func (s *Server) Start() error {
	if err := s.client.Start(); err != nil {
		s.closeSocketFDs()
		return fmt.Errorf("engine: start event loops: %w", err)
	}
	s.startEnrollers()
	started := 0
	for _, sv := range s.sockets {
		if err := s.serve(sv); err != nil {
			s.log.Error("socket not served", "fd", sv.FD, "name", sv.Name, "err", err)
			continue
		}
		started++
	}
	if started == 0 {
		s.stopEnrollers()
		_ = s.client.Stop()
		return ErrNothingToServe
	}
	if s.handler.onIdle != nil && s.handler.open.Load() == 0 {
		s.markDone() // every connection closed before Start returned
	}
	return nil
}

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
	return fmt.Errorf("unknown kind %v", sv.Kind)
}

// stopEnrollers ends the enroller pool once nothing can send to it.
func (s *Server) stopEnrollers() {
	close(s.toEnroll)
	s.enrolling.Wait()
}

// run runs loop in a goroutine until Shutdown closes stop.
func (s *Server) run(stop io.Closer, loop func()) {
	s.stoppers = append(s.stoppers, stop)
	s.loops.Add(1)
	go func() {
		defer s.loops.Done()
		loop()
	}()
}

func (s *Server) markDone() { s.doneOnce.Do(func() { close(s.done) }) }

// Done is closed when nothing is left to serve: only after the last
// connection of an Accept=yes start has closed.
func (s *Server) Done() <-chan struct{} { return s.done }

// Open returns the number of stream connections being echoed now.
func (s *Server) Open() int64 { return s.handler.open.Load() }

// Stats returns a snapshot of every served socket's counters.
func (s *Server) Stats() []SocketStats {
	out := make([]SocketStats, len(s.sockets))
	for i, sv := range s.sockets {
		out[i] = sv.snapshot()
	}
	return out
}

// Shutdown stops accepting and reading datagrams at once (the kernel keeps
// queueing on the listening sockets, which stay open), lets open connections
// go on echoing until they close or ctx ends, then closes them and the event
// loops. It returns ctx.Err() when connections were cut by the deadline.
func (s *Server) Shutdown(ctx context.Context) error {
	close(s.stopping)
	for _, c := range s.stoppers {
		_ = c.Close()
	}
	s.loops.Wait()
	s.stopEnrollers()
	err := s.drain(ctx)
	s.vsockConns.closeAll()
	if stopErr := s.client.Stop(); stopErr != nil && !errors.Is(stopErr, context.Canceled) {
		s.log.Debug("gnet stop", "err", stopErr)
	}
	return err
}

// drain waits for open stream and vsock connections to finish.
func (s *Server) drain(ctx context.Context) error {
	vsockDone := make(chan struct{})
	go func() { s.vsockOpen.Wait(); close(vsockDone) }()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-vsockDone:
			if s.handler.open.Load() == 0 {
				return nil
			}
		default:
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

func (s *Server) closeSocketFDs() {
	for _, sv := range s.sockets {
		_ = closeFD(sv.FD)
	}
}
