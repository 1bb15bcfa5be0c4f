package loadgen

import (
	"fmt"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/echo-activation/echo-server/engine/procstat"
)

// meter counts messages and failures, owns the run's clock (warm-up, then
// the measured window) and prints progress. It is used by one goroutine.
type meter struct {
	cfg       *Config
	res       Result
	warmEnd   time.Time
	end       time.Time
	measuring bool
	msgs      uint64 // all messages, warm-up included
	bytes     uint64
	msgs0     uint64 // msgs when the window opened
	bytes0    uint64
	t0        time.Time
	cpu0      time.Duration
	hist      *hdrhistogram.Histogram
	nextProg  time.Time
	progMsgs  uint64 // msgs and bytes at the last progress line
	progBytes uint64
}

// progressRate is the rate since the last progress line, in the mode's
// Unit (the one its table uses): MB/s for flood, else messages per second.
func (m *meter) progressRate() float64 {
	s := m.cfg.ProgressEvery.Seconds()
	if m.cfg.Mode == Flood {
		return float64(m.bytes-m.progBytes) / s / 1e6
	}
	return float64(m.msgs-m.progMsgs) / s
}

func newMeter(cfg *Config) *meter {
	return &meter{
		cfg:  cfg,
		hist: hdrhistogram.New(1, int64(time.Minute), 3),
		res: Result{Mode: cfg.Mode, Network: cfg.Target.Network, Addr: cfg.Target.Addr,
			Conns: cfg.Conns, Len: cfg.Len, ServerPID: cfg.ServerPID},
	}
}

// start begins the clock once connections are set up.
func (m *meter) start(now time.Time) {
	m.res.Started = now
	m.warmEnd = now.Add(m.cfg.Warmup)
	m.end = m.warmEnd.Add(m.cfg.Duration)
	m.nextProg = now.Add(m.cfg.ProgressEvery)
}

// tick advances the clock and reports whether the run is over.
func (m *meter) tick(now time.Time) bool {
	if !m.measuring && !now.Before(m.warmEnd) {
		m.open(now)
	}
	if !now.Before(m.nextProg) {
		m.progress(now)
	}
	return !now.Before(m.end)
}

func (m *meter) open(now time.Time) {
	m.measuring = true
	m.t0, m.msgs0, m.bytes0 = now, m.msgs, m.bytes
	if m.cfg.ServerPID > 0 {
		m.cpu0, _ = procstat.CPU(m.cfg.ServerPID)
	}
}

// done records one echoed message of n bytes and its latency (0: none).
func (m *meter) done(n int, lat time.Duration) {
	m.msgs++
	m.bytes += uint64(n)
	if m.measuring && lat > 0 {
		_ = m.hist.RecordValue(int64(lat))
	}
}

// add records n echoed bytes that completed msgs messages (flood).
func (m *meter) add(msgs, n int) {
	m.msgs += uint64(msgs)
	m.bytes += uint64(n)
}

// waitMs is how long the event loop may sleep before the clock needs it:
// the next progress line, the window opening or the end, capped at 100ms.
func (m *meter) waitMs(now time.Time) int {
	next := earliest(m.nextProg, m.end)
	if !m.measuring {
		next = earliest(next, m.warmEnd)
	}
	return clampMs(next.Sub(now), 100)
}

// clampMs rounds d up to whole milliseconds within [1, most].
func clampMs(d time.Duration, most int) int {
	ms := int((d + time.Millisecond - 1) / time.Millisecond)
	return max(1, min(ms, most))
}

func (m *meter) progress(now time.Time) {
	phase := "warm-up"
	if m.measuring {
		phase = "measure"
	}
	if m.cfg.Progress != nil {
		end := "\n"
		if m.cfg.ProgressCR {
			end = "\r"
		}
		fmt.Fprintf(m.cfg.Progress, "%s %s n=%d l=%d %s %5.1fs %10.1f %s err=%d mismatch=%d lost=%d%s",
			m.cfg.Mode, m.cfg.Target.Network, m.cfg.Conns, m.cfg.Len, phase,
			now.Sub(m.res.Started).Seconds(), m.progressRate(), m.cfg.Mode.Unit(),
			m.res.Errors, m.res.Mismatches, m.res.Losses, end)
	}
	m.progMsgs, m.progBytes = m.msgs, m.bytes
	m.nextProg = now.Add(m.cfg.ProgressEvery)
}

// result closes the window and fills in rates, latencies and server cost.
func (m *meter) result(now time.Time) Result {
	r := m.res
	if !m.measuring {
		m.open(now) // a run that ended early still reports what it has
	}
	r.Seconds = now.Sub(m.t0).Seconds()
	r.Messages, r.Bytes = m.msgs-m.msgs0, m.bytes-m.bytes0
	if r.Seconds > 0 {
		r.MsgPerSec = float64(r.Messages) / r.Seconds
		r.MBPerSec = float64(r.Bytes) / r.Seconds / 1e6
	}
	r.P50us = m.quantile(50)
	r.P99us = m.quantile(99)
	r.P999us = m.quantile(99.9)
	m.server(&r)
	return r
}

func (m *meter) quantile(q float64) float64 {
	return float64(m.hist.ValueAtQuantile(q)) / 1e3
}

func (m *meter) server(r *Result) {
	if m.cfg.ServerPID <= 0 {
		return
	}
	if cpu, err := procstat.CPU(m.cfg.ServerPID); err == nil {
		r.ServerCPUus = float64((cpu - m.cpu0).Microseconds())
		if r.Messages > 0 {
			r.ServerCPUusPerMs = r.ServerCPUus / float64(r.Messages)
		}
	}
	r.ServerPeakRSSKB, _ = procstat.PeakRSS(m.cfg.ServerPID)
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
