//go:build linux

package engine

import (
	"log/slog"

	"github.com/echo-activation/echo-server/engine/activation"
)

// AdoptAll classifies and adopts every fd, logging one line for each that
// cannot be served (naming its number, name and what it is) and skipping
// it, so that one bad fd never stops the others from being served. Every
// fd passes to AdoptAll: one adopted belongs to the returned Socket (see
// Adopt), one skipped is closed here (it is nobody's any more; a number
// that was not open is left as it was).
func AdoptAll(fds []activation.InheritedFD, log *slog.Logger) []Socket {
	var out []Socket
	for _, f := range fds {
		s, err := Classify(f.FD, f.Name)
		if err == nil {
			s, err = Adopt(s)
		}
		if err != nil {
			log.Error("skipping fd", "fd", f.FD, "name", f.Name, "err", err)
			_ = closeFD(f.FD)
			continue
		}
		out = append(out, s)
	}
	return out
}
