package main

import (
	"os"
	"os/signal"
	"syscall"
)

// signals is the server's subscription to SIGINT, SIGTERM and SIGUSR1.
type signals struct {
	C    chan os.Signal
	done chan struct{} // closed once signal.Notify has returned
}

// subscribeSignals subscribes in a goroutine of its own: the runtime's
// first signal.Notify starts its signal-mask thread and hands it each
// signal in turn, one of the larger steps of main before READY=1
// (bench/results/startup-2026-12-04-vm-confine-order.md), which so runs
// beside making the sockets and confining instead of before them. Until it has returned, a
// SIGTERM ends the process as it does during the runtime's own start: a
// unix socket file made meanwhile is left behind, and the next start
// replaces it (engine/listen treats a file nobody answers on as stale).
// The server waits for it before READY=1.
func subscribeSignals() *signals {
	s := &signals{C: make(chan os.Signal, 2), done: make(chan struct{})}
	go func() {
		signal.Notify(s.C, syscall.SIGINT, syscall.SIGTERM, syscall.SIGUSR1)
		close(s.done)
	}()
	return s
}

// wait returns once the subscription is in force.
func (s *signals) wait() { <-s.done }

// stop ends the subscription.
func (s *signals) stop() {
	s.wait()
	signal.Stop(s.C)
}
