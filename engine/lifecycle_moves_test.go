package engine

import (
	"errors"
	"testing"
)

// TestLifecycleMoves walks the transition table: from every state, each of
// Start, StopAccepting and Shutdown has its defined result and leaves the
// server in its defined state; a move the table does not hold changes
// nothing.
func TestLifecycleMoves(t *testing.T) {
	reach := map[state]func(t *testing.T, srv *Server){
		stateNew: func(*testing.T, *Server) {},
		stateRunning: func(t *testing.T, srv *Server) {
			if err := srv.Start(); err != nil {
				t.Fatal(err)
			}
		},
		stateFailed: func(t *testing.T, srv *Server) {
			srv.sockets[0].Kind = Kind(99) // cannot be served: Start fails and closes it
			if err := srv.Start(); !errors.Is(err, ErrNothingToServe) {
				t.Fatalf("Start: %v, want ErrNothingToServe", err)
			}
		},
		stateStopping: func(t *testing.T, srv *Server) {
			if err := srv.Start(); err != nil {
				t.Fatal(err)
			}
			srv.StopAccepting()
		},
		stateClosed: func(t *testing.T, srv *Server) {
			if err := srv.Start(); err != nil {
				t.Fatal(err)
			}
			if err := shutdown(srv); err != nil {
				t.Fatal(err)
			}
		},
	}
	calls := []struct {
		name string
		do   func(*Server) error
	}{
		{"Start", (*Server).Start},
		{"StopAccepting", func(s *Server) error { s.StopAccepting(); return nil }},
		{"Shutdown", shutdown},
	}
	// want[from][call] is the result and the state after it.
	type outcome struct {
		err error
		to  state
	}
	want := map[state][3]outcome{
		stateNew:      {{nil, stateRunning}, {nil, stateNew}, {nil, stateClosed}},
		stateRunning:  {{ErrStarted, stateRunning}, {nil, stateStopping}, {nil, stateClosed}},
		stateFailed:   {{ErrStarted, stateFailed}, {nil, stateFailed}, {nil, stateClosed}},
		stateStopping: {{ErrStarted, stateStopping}, {nil, stateStopping}, {nil, stateClosed}},
		stateClosed:   {{ErrServerClosed, stateClosed}, {nil, stateClosed}, {nil, stateClosed}},
	}
	for from := range numStates {
		for i, call := range calls {
			t.Run(from.String()+"/"+call.name, func(t *testing.T) {
				srv, addr := newTCPServer(t)
				t.Cleanup(func() { _ = shutdown(srv) })
				reach[from](t, srv)
				if srv.state != from {
					t.Fatalf("set-up reached %v, want %v", srv.state, from)
				}
				w := want[from][i]
				if err := call.do(srv); !errors.Is(err, w.err) {
					t.Fatalf("%s from %v: %v, want %v", call.name, from, err, w.err)
				}
				if srv.state != w.to {
					t.Fatalf("%s from %v: now %v, want %v", call.name, from, srv.state, w.to)
				}
				if !moves[from][w.to] && from != w.to {
					t.Fatalf("the outcome %v -> %v is not in the table", from, w.to)
				}
				if w.to == stateClosed || w.to == stateFailed {
					checkStopped(t, srv, addr)
				}
			})
		}
	}
}
