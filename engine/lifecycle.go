//go:build linux

package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// state is where a Server is in its life.
type state int

const (
	stateNew      state = iota // made by New; its fds are not served yet
	stateRunning               // Start succeeded
	stateFailed                // Start failed and released everything
	stateStopping              // StopAccepting began: open connections still echo
	stateClosed                // Shutdown began
	numStates
)

var stateNames = [numStates]string{"new", "running", "failed", "stopping", "closed"}

func (st state) String() string { return stateNames[st] }

// moves is the lifecycle, the one table of the transitions a Server may
// make; every other move is refused, and the call that asked for it has
// the result its doc comment gives (ErrStarted, ErrServerClosed, nothing,
// or waiting for the first call):
//
//	new      -> running (Start), failed (Start), closed (Shutdown: fds closed)
//	running  -> stopping (StopAccepting), closed (Shutdown)
//	stopping -> closed (Shutdown)
//	failed   -> closed (Shutdown: nothing left to release)
var moves = [numStates][numStates]bool{
	stateNew:      {stateRunning: true, stateFailed: true, stateClosed: true},
	stateRunning:  {stateStopping: true, stateClosed: true},
	stateStopping: {stateClosed: true},
	stateFailed:   {stateClosed: true},
}

// move changes the state to to if the table allows it, and returns the
// state it was in. Call with s.mu held.
func (s *Server) move(to state) (from state, ok bool) {
	from = s.state
	if !moves[from][to] {
		return from, false
	}
	s.state = to
	return from, true
}

// signal is a channel closed once, by the first fire.
type signal struct {
	once sync.Once
	ch   chan struct{}
}

func newSignal() signal { return signal{ch: make(chan struct{})} }

func (g *signal) fire()                 { g.once.Do(func() { close(g.ch) }) }
func (g *signal) fired() bool           { return isClosed(g.ch) }
func (g *signal) wait() <-chan struct{} { return g.ch }

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

func (s *Server) isStopping() bool    { return s.stopping.fired() }
func (s *Server) isAcceptEnded() bool { return s.acceptEnded.fired() }

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
	from, ok := s.move(stateStopping)
	s.mu.Unlock()
	switch {
	case ok:
		s.stopAccepting()
	case from == stateStopping || from == stateClosed && s.started:
		<-s.acceptEnded.wait() // the first call, or Shutdown's, is stopping
	}
}

// stopAccepting is StopAccepting's work, done once, by the call that moved
// the server out of running.
func (s *Server) stopAccepting() {
	s.stopping.fire()
	if s.stream != nil {
		s.stream.stop()
	}
	for _, c := range s.stoppers {
		_ = c.Close()
	}
	s.loops.Wait()
	s.enroll.stop()
	s.acceptEnded.fire()
	if s.adm.open() == 0 {
		s.noneOpen()
	}
}

// Shutdown stops accepting (StopAccepting), lets open connections go on
// echoing until they close or ctx ends, then closes them and the event
// loops. When ctx ends first it returns a *DrainError (which wraps
// ctx.Err()) with the number of connections it then closed. Shutdown
// before Start closes the sockets' fds; a second Shutdown waits for the
// first (or its own ctx) and returns the same result.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	from, ok := s.move(stateClosed)
	s.mu.Unlock()
	if !ok { // closed already: wait for the first Shutdown
		select {
		case <-s.shutDown.wait():
			return s.shutdownErr
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.shutdownErr = s.shutdown(ctx, from)
	s.shutDown.fire()
	s.markDone()
	return s.shutdownErr
}

func (s *Server) shutdown(ctx context.Context, from state) error {
	switch from {
	case stateNew:
		s.closeSocketFDs()
		return nil
	case stateFailed:
		return nil // Start released everything
	case stateRunning:
		s.stopAccepting()
	case stateStopping:
		<-s.acceptEnded.wait()
	}
	err := s.drain(ctx)
	s.goConns.closeAll()
	s.goConns.wait()
	s.stopGnet()
	s.handler.idle.Stop()
	return err
}

// drain waits until no stream connection is open, or ctx ends.
func (s *Server) drain(ctx context.Context) error {
	select {
	case <-s.drained.wait():
		return nil
	case <-ctx.Done():
	}
	if open := s.adm.open(); open > 0 {
		return &DrainError{Open: open, Err: ctx.Err()}
	}
	return nil
}
