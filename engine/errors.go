package engine

import (
	"errors"
	"fmt"
)

// ErrNotActivated means the process was not started by socket activation.
var ErrNotActivated = errors.New("not socket-activated: LISTEN_FDS and LISTEN_PID are unset")

// ErrNothingToServe means no given socket could be served.
var ErrNothingToServe = errors.New("no servable socket")

// ActivationError reports a malformed activation variable.
type ActivationError struct {
	Var, Value, Reason string
}

func (e *ActivationError) Error() string {
	return fmt.Sprintf("%s=%q: %s", e.Var, e.Value, e.Reason)
}

func activationErr(v, value, reason string) error {
	return &ActivationError{Var: v, Value: value, Reason: reason}
}

// SocketError reports an fd that cannot be served, naming it by number and
// LISTEN_FDNAMES name.
type SocketError struct {
	FD   int
	Name string
	What string // what the fd turned out to be, e.g. "a regular file"
	Err  error  // underlying error, if any
}

func (e *SocketError) Error() string {
	s := fmt.Sprintf("fd %d (%s): %s", e.FD, e.Name, e.What)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *SocketError) Unwrap() error { return e.Err }
