package loadgen

import (
	"strings"
	"testing"
	"time"
)

// TestProgressInTheTableUnit: the live line counts in the unit the report's
// table uses for the mode (connrate in conn/s, flood in MB/s).
func TestProgressInTheTableUnit(t *testing.T) {
	for _, tt := range []struct {
		mode       Mode
		msgs, size int
		want       string
	}{
		{mode: ConnRate, msgs: 30, size: 64, want: " 30.0 conn/s "},
		{mode: PingPong, msgs: 40, size: 64, want: " 40.0 req/s "},
		{mode: Dgram, msgs: 50, size: 64, want: " 50.0 dgram/s "},
		{mode: Flood, msgs: 2, size: 1_500_000, want: " 3.0 MB/s "},
	} {
		var out strings.Builder
		cfg := &Config{Mode: tt.mode, Target: Target{Network: "tcp"}, ProgressEvery: time.Second, Progress: &out}
		m := newMeter(cfg)
		m.start(time.Now())
		for range tt.msgs {
			m.done(tt.size, 0)
		}
		m.progress(time.Now())
		if !strings.Contains(out.String(), tt.want) {
			t.Errorf("%s: progress %q, want %q", tt.mode, out.String(), tt.want)
		}
		want := 7.0 // the headline Rate is MB/s for flood, messages per second otherwise
		if tt.mode == Flood {
			want = 9
		}
		if got := (Result{Mode: tt.mode, MsgPerSec: 7, MBPerSec: 9}).Rate(); got != want {
			t.Errorf("%s: Rate %v, want %v", tt.mode, got, want)
		}
	}
}
