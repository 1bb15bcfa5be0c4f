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
	now := time.Now().UnixNano()
	last := r.last.Load()
	if now-last < int64(rateLogInterval) || !r.last.CompareAndSwap(last, now) {
		return
	}
	log.Warn(msg, args...)
}
