package loadgen

import (
	"fmt"
	"io"
	"time"
)

// Mode names a workload.
type Mode string

// The workloads. Each message counts once when its full echo has arrived
// and matched.
const (
	// PingPong: Conns persistent connections, each sends Len bytes and
	// waits for the whole echo before sending again.
	PingPong Mode = "pingpong"
	// Flood: Conns connections keep up to Window bytes in flight each.
	Flood Mode = "flood"
	// ConnRate: Conns workers each connect, send Len bytes, read the echo
	// and close, again and again.
	ConnRate Mode = "connrate"
	// Dgram: Conns sockets each send one Len-byte datagram and wait up to
	// Timeout for its echo; a missing echo is a loss.
	Dgram Mode = "dgram"
)

// Config describes one run. The zero values of Window, Timeout and
// ProgressEvery take defaults; the rest must be set.
type Config struct {
	Mode          Mode
	Target        Target
	Conns         int           // connections, workers or sockets
	Len           int           // message length in bytes
	Window        int           // flood: bytes in flight per connection (default 64 KiB)
	Pause         time.Duration // pingpong: wait after each echo before the next request (0: none)
	Duration      time.Duration // measured part of the run
	Warmup        time.Duration // unmeasured lead-in
	Timeout       time.Duration // connect timeout; dgram reply timeout (default 200ms)
	ServerPID     int           // process whose CPU and RSS to report; 0 for none
	Progress      io.Writer     // live progress lines; nil for none
	ProgressEvery time.Duration // default 1s
	ProgressCR    bool          // end progress lines with \r (a terminal) instead of \n
}

// Limits keep every run bounded.
const (
	maxConns    = 20000
	maxDuration = 10 * time.Minute
	maxDgramLen = 65507
)

func (c *Config) check() error {
	if c.Window == 0 {
		c.Window = 64 << 10
	}
	if c.Timeout == 0 {
		c.Timeout = 200 * time.Millisecond
	}
	if c.ProgressEvery == 0 {
		c.ProgressEvery = time.Second
	}
	switch {
	case c.Target.sa == nil:
		return fmt.Errorf("loadgen: no target (use ParseTarget)")
	case c.Conns < 1 || c.Conns > maxConns:
		return fmt.Errorf("loadgen: conns %d out of 1..%d", c.Conns, maxConns)
	case c.Len < 1 || c.Len > maxChunk || (c.Target.Datagram() && c.Len > maxDgramLen):
		return fmt.Errorf("loadgen: len %d out of range", c.Len)
	case c.Duration <= 0 || c.Duration+c.Warmup > maxDuration:
		return fmt.Errorf("loadgen: duration %v + warmup %v out of (0, %v]", c.Duration, c.Warmup, maxDuration)
	case c.Pause < 0 || c.Pause > time.Minute || (c.Pause > 0 && c.Mode != PingPong):
		return fmt.Errorf("loadgen: pause %v: only for pingpong, at most 1m", c.Pause)
	case c.Window < c.Len || c.Window > maxChunk:
		return fmt.Errorf("loadgen: window %d out of len..%d", c.Window, maxChunk)
	}
	return c.checkMode()
}

func (c *Config) checkMode() error {
	dgram := c.Target.Datagram()
	switch c.Mode {
	case PingPong, Flood, ConnRate:
		if dgram {
			return fmt.Errorf("loadgen: mode %s needs a stream target, not %s", c.Mode, c.Target.Network)
		}
	case Dgram:
		if !dgram {
			return fmt.Errorf("loadgen: mode dgram needs a udp or unixgram target, not %s", c.Target.Network)
		}
	default:
		return fmt.Errorf("loadgen: unknown mode %q", c.Mode)
	}
	return nil
}
