package main

import (
	"fmt"
	"os"
	"time"

	"github.com/echo-activation/echo-server/engine"
)

// holdOpen goes on serving for --shutdown-delay after a stop signal, with
// /readyz already answering 503, so that a load balancer's health checks
// (or Kubernetes' endpoint updates) take the host out of rotation while it
// still accepts; only then does drain stop accepting. Where the server
// holds the only copy of a listening socket, new connections are refused
// from that moment, which a load balancer retries on another host; without
// the delay, the connections it sent before noticing would be refused too,
// and any in the accept queue at that moment reset. It returns false when
// a second SIGINT/SIGTERM came meanwhile: the process then exits at once.
func holdOpen(cfg *config, life lifecycle, srv *engine.Server, n *notifier, sigs <-chan os.Signal, sig os.Signal) bool {
	if sig == nil || cfg.delay == 0 {
		return true
	}
	name := signalName(sig)
	life.log(fmt.Sprintf("%s: not ready; accepting for %v more, then draining", name, shortDuration(cfg.delay)),
		"signal", name, "shutdown_delay", cfg.delay)
	n.stopping(cfg.delay + cfg.drain)
	timer := time.NewTimer(cfg.delay)
	defer timer.Stop()
	_, ok := untilSecondSignal(life, srv, sigs, timer.C)
	return ok
}
