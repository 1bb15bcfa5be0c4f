package main

import (
	"testing"
	"time"
)

// TestOptionsAtTheDocumentedLimits: the documented minimum (1m) and the
// default (10m) soak with their default rounds and two restarts; what
// could not restart as asked is refused.
func TestOptionsAtTheDocumentedLimits(t *testing.T) {
	for _, tt := range []struct {
		name     string
		duration time.Duration
		round    time.Duration // 0: the default
		restarts int
		ok       bool
	}{
		{name: "documented minimum", duration: time.Minute, restarts: 2, ok: true},
		{name: "default", duration: 10 * time.Minute, restarts: 2, ok: true},
		{name: "maximum", duration: 2 * time.Hour, restarts: 2, ok: true},
		{name: "below the minimum", duration: 30 * time.Second, restarts: 2},
		{name: "round over a quarter", duration: time.Minute, round: 20 * time.Second, restarts: 2},
		{name: "more restarts than the first half holds", duration: time.Minute, restarts: 3},
	} {
		o := options{duration: tt.duration, round: tt.round, restarts: tt.restarts}
		if o.round == 0 {
			o.round = defaultRound(o.duration)
		}
		if err := o.check(); (err == nil) != tt.ok {
			t.Errorf("%s (round %v): %v, want ok %v", tt.name, o.round, err, tt.ok)
		}
	}
}
