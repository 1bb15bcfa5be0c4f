//go:build linux

package engine

import (
	"errors"
	"fmt"
)

// ErrNothingToServe means no given socket could be served.
var ErrNothingToServe = errors.New("no servable socket")

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
