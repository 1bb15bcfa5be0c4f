//go:build linux

package engine

import (
	"log/slog"

	"github.com/echo-activation/echo-server/engine/activation"
)

// AdoptAll classifies and adopts every fd, logging one line for each that
// cannot be served (naming its number, name and what it is) and skipping
// it, so that one bad fd never stops the others from being served. Each fd
// adopted belongs to the returned Socket (see Adopt); each one skipped is
// left open, and the caller's.
func AdoptAll(fds []activation.InheritedFD, log *slog.Logger) []Socket {
	var out []Socket
	for _, f := range fds {
		s, err := Classify(f.FD, f.Name)
		if err == nil {
			s, err = Adopt(s)
		}
		if err != nil {
			log.Error("skipping fd", "fd", f.FD, "name", f.Name, "err", err)
			continue
		}
		out = append(out, s)
	}
	return out
}
