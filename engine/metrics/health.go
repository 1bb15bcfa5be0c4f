package metrics

import "sync/atomic"

// Health is the readiness the command sets: not ready until every socket
// is served, ready while serving, not ready again from the moment shutdown
// begins. The zero value is not ready. It is safe for concurrent use.
type Health struct{ ready atomic.Bool }

// SetReady sets what GET /readyz answers: 200 when ready, 503 when not.
func (h *Health) SetReady(ready bool) { h.ready.Store(ready) }

// Ready reports the readiness last set.
func (h *Health) Ready() bool { return h.ready.Load() }
