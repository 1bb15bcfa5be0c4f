package activation

import (
	"errors"
	"fmt"
)

// ErrNotActivated means the process was not started by socket activation.
var ErrNotActivated = errors.New("not socket-activated: LISTEN_FDS and LISTEN_PID are unset")

// Error reports a malformed activation variable.
type Error struct {
	Var, Value, Reason string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s=%q: %s", e.Var, e.Value, e.Reason)
}

func activationErr(v, value, reason string) error {
	return &Error{Var: v, Value: value, Reason: reason}
}
