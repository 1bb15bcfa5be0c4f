//go:build linux

package engine

import (
	"log/slog"
	"sync/atomic"
	"time"
)

// rateLog logs a warning at most once per interval: once per burst of a
// condition that may repeat thousands of times a second.
type rateLog struct {
	last atomic.Int64 // unix nanoseconds of the last line
}

const rateLogInterval = 5 * time.Second

func (r *rateLog) warn(log *slog.Logger, msg string, args ...any) {
	if r.due() {
		log.Warn(msg, args...)
	}
}

// due reports whether a line may be logged now, and if so takes the turn.
// Check it before building a line's arguments on a hot path: they allocate.
func (r *rateLog) due() bool {
	now := time.Now().UnixNano()
	last := r.last.Load()
	return now-last >= int64(rateLogInterval) && r.last.CompareAndSwap(last, now)
}
