package engine

import (
	"context"
	"errors"
	"fmt"
)

// state is where a Server is in its life: New -> Running or Failed ->
// Closed. Start moves it out of New once; Shutdown moves it to Closed.
type state int

const (
	stateNew     state = iota
	stateRunning       // Start succeeded
	stateFailed        // Start failed and released everything
	stateClosed        // Shutdown began
)

// ErrStarted is returned by a second Start.
var ErrStarted = errors.New("engine: server already started")

// ErrServerClosed is returned by Start after Shutdown.
var ErrServerClosed = errors.New("engine: server closed")

// DrainError reports the connections still open when the drain time of
// Shutdown ran out; they were then closed. It wraps the context's error.
type DrainError struct {
	Open int64 // stream connections open when the drain time ran out
	Err  error // ctx.Err()
}

func (e *DrainError) Error() string {
	return fmt.Sprintf("engine: %d connections still open when the drain time ran out: %v", e.Open, e.Err)
}

func (e *DrainError) Unwrap() error { return e.Err }

func (s *Server) isStopping() bool    { return isClosed(s.stopping) }
func (s *Server) isAcceptEnded() bool { return isClosed(s.acceptEnded) }

// isClosed reports, without waiting, whether ch is closed.
func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// StopAccepting stops taking new connections and datagrams: the accept
// loops end, and the server closes its fd of every listening and datagram
// socket (where nothing else, such as systemd, holds a copy, new
// connections are then refused). Connections already open go on echoing.
// It returns once nothing more can be accepted. It does nothing to a
// server that is not running, and a second call only waits for the first.
func (s *Server) StopAccepting() {
	s.mu.Lock()
	started := s.started
	s.mu.Unlock()
	if !started {
		return
	}
	s.stopAccept.Do(func() {
		close(s.stopping)
		s.stopAcceptors()
		for _, c := range s.stoppers {
			_ = c.Close()
		}
		s.loops.Wait()
		s.enroll.stop()
		close(s.acceptEnded)
		if s.adm.open() == 0 {
			s.noneOpen()
		}
	})
	<-s.acceptEnded
}

// stopAcceptors takes every listener off gnet's loops, waits until no
// loop can still act on one, then accepts what is queued and closes them.
func (s *Server) stopAcceptors() {
	if len(s.acceptors) == 0 {
		return
	}
	for _, a := range s.acceptors {
		a.halt()
	}
	quiesce(s.gnetLoops)
	for _, a := range s.acceptors {
		a.finish()
	}
}

// Shutdown stops accepting (StopAccepting), lets open connections go on
// echoing until they close or ctx ends, then closes them and the event
// loops. When ctx ends first it returns a *DrainError (which wraps
// ctx.Err()) with the number of connections it then closed. Shutdown
// before Start closes the sockets' fds; a second Shutdown waits for the
// first (or its own ctx) and returns the same result.
func (s *Server) Shutdown(ctx context.Context) error {
	first := false
	s.shutdownOnce.Do(func() { first = true })
	if !first {
		select {
		case <-s.shutDown:
			return s.shutdownErr
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.shutdownErr = s.shutdown(ctx)
	close(s.shutDown)
	s.markDone()
	return s.shutdownErr
}

func (s *Server) shutdown(ctx context.Context) error {
	s.mu.Lock()
	prev := s.state
	s.state = stateClosed
	s.mu.Unlock()
	switch prev {
	case stateNew:
		s.closeSocketFDs()
		return nil
	case stateFailed:
		return nil // Start released everything
	}
	s.StopAccepting()
	err := s.drain(ctx)
	s.vsock.closeAll()
	s.vsock.wait()
	if stopErr := s.client.Stop(); stopErr != nil && !errors.Is(stopErr, context.Canceled) {
		s.log.Debug("gnet stop", "err", stopErr)
	}
	s.handler.idle.Stop()
	for _, a := range s.acceptors {
		a.closePlaceholder()
	}
	return err
}

// drain waits until no stream connection is open, or ctx ends.
func (s *Server) drain(ctx context.Context) error {
	select {
	case <-s.drained:
		return nil
	case <-ctx.Done():
	}
	if open := s.adm.open(); open > 0 {
		return &DrainError{Open: open, Err: ctx.Err()}
	}
	return nil
}
