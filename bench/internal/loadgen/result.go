package loadgen

import (
	"fmt"
	"time"
)

// Result is the record of one run: one JSON line in the raw results.
// Rates, latencies and server cost cover the measured window only; the
// failure counters cover the whole run, warm-up included.
type Result struct {
	Server     string    `json:"server,omitempty"` // label of the server under test
	Rep        int       `json:"rep,omitempty"`    // repetition number, set by the runner
	Mode       Mode      `json:"mode"`
	Network    string    `json:"network"`
	Addr       string    `json:"addr"`
	Conns      int       `json:"conns"`
	Len        int       `json:"len"`
	Started    time.Time `json:"started"`
	Seconds    float64   `json:"seconds"`     // length of the measured window
	Connected  int       `json:"connected"`   // connections or sockets set up
	Messages   uint64    `json:"messages"`    // messages (or connections) echoed in the window
	Bytes      uint64    `json:"bytes"`       // echoed bytes in the window
	MsgPerSec  float64   `json:"msg_per_sec"` // requests, datagrams or connections per second
	MBPerSec   float64   `json:"mb_per_sec"`  // echoed megabytes (1e6) per second
	P50us      float64   `json:"p50_us"`
	P99us      float64   `json:"p99_us"`
	P999us     float64   `json:"p999_us"`
	Mismatches uint64    `json:"mismatches"` // echoed bytes that differ from what was sent
	Errors     uint64    `json:"errors"`     // failed connects, resets, early EOFs, send errors
	Losses     uint64    `json:"losses"`     // datagrams without an echo within the timeout
	Late       uint64    `json:"late"`       // echoes that arrived after their timeout

	Error      string `json:"error,omitempty"`       // set by the runner for a run that failed
	ServerExit string `json:"server_exit,omitempty"` // set by the runner: how the server ended on SIGTERM

	Load1 float64 `json:"load1,omitempty"` // set by the runner: 1-minute load average just before the run
	CPUs  int     `json:"cpus,omitempty"`  // set by the runner: the machine's CPU count

	ServerPID        int     `json:"server_pid,omitempty"`
	ServerCPUus      float64 `json:"server_cpu_us,omitempty"`         // utime+stime over the window
	ServerCPUusPerMs float64 `json:"server_cpu_us_per_msg,omitempty"` // ServerCPUus / Messages
	ServerPeakRSSKB  int64   `json:"server_peak_rss_kb,omitempty"`    // VmHWM at the end
}

// Unit names the headline rate of a mode, the one its tables and
// progress lines count in.
func (m Mode) Unit() string {
	switch m {
	case Flood:
		return "MB/s"
	case ConnRate:
		return "conn/s"
	case Dgram:
		return "dgram/s"
	}
	return "req/s"
}

// Rate is the run's headline number, in its mode's Unit: echoed MB/s for
// flood, else messages (requests, connections, datagrams) per second.
func (r Result) Rate() float64 {
	if r.Mode == Flood {
		return r.MBPerSec
	}
	return r.MsgPerSec
}

// Failed reports whether the run must fail: any mismatched byte, or no
// message echoed at all.
func (r Result) Failed() error {
	if r.Mismatches > 0 {
		return fmt.Errorf("loadgen: %d mismatched bytes", r.Mismatches)
	}
	if r.Messages == 0 {
		return fmt.Errorf("loadgen: no message echoed (errors=%d losses=%d)", r.Errors, r.Losses)
	}
	return nil
}

// String is a one-line human summary.
func (r Result) String() string {
	return fmt.Sprintf("%s %s n=%d l=%d: %.1f %s (%.0f msg/s, %.1f MB/s) p50=%.0fus p99=%.0fus p99.9=%.0fus "+
		"mismatch=%d err=%d lost=%d late=%d server: %.2fus/msg peak %d KiB",
		r.Mode, r.Network, r.Conns, r.Len, r.Rate(), r.Mode.Unit(), r.MsgPerSec, r.MBPerSec, r.P50us, r.P99us, r.P999us,
		r.Mismatches, r.Errors, r.Losses, r.Late, r.ServerCPUusPerMs, r.ServerPeakRSSKB)
}
