package loadgen

import (
	"runtime"
)

// Run performs one bounded run and returns its record. The error is for a
// run that could not be made (bad config, no connection); a run with
// mismatches returns a Result whose Failed method says so.
func Run(cfg Config) (Result, error) {
	if err := cfg.check(); err != nil {
		return Result{}, err
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p, err := newPoller(cfg.Conns)
	if err != nil {
		return Result{}, err
	}
	defer p.close()
	m := newMeter(&cfg)
	switch cfg.Mode {
	case PingPong:
		return runPingPong(&cfg, m, p)
	case Flood:
		return runFlood(&cfg, m, p)
	case ConnRate:
		return runConnRate(&cfg, m, p)
	default:
		return runDgram(&cfg, m, p)
	}
}
