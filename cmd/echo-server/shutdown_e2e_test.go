package main

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest"
)

// delayedServer runs the server on sockets of its own (--listen: the only
// copy, as in a container or a pod) with --shutdown-delay delay and a
// metrics socket; it returns the process and the echo and metrics addresses.
func delayedServer(t *testing.T, delay string) (*proc, string, string) {
	t.Helper()
	echo := fmt.Sprintf("127.0.0.1:%d", freePort(t, "tcp4", "127.0.0.1"))
	metrics := fmt.Sprintf("127.0.0.1:%d", freePort(t, "tcp4", "127.0.0.1"))
	p := startCmd(t, execServer("--listen", "tcp4://"+echo, "--metrics-listen", "tcp://"+metrics,
		"--shutdown-delay", delay, "--drain-timeout", "30s"))
	p.WaitLog(t, "msg=serving", 2)
	return p, echo, metrics
}

// TestShutdownDelay: after SIGTERM, /readyz answers 503 at once while new
// connections are still accepted and echoed for --shutdown-delay; then the
// server's only copy of the listener is closed, so a connect is refused
// while an open connection still drains; the exit is 0.
func TestShutdownDelay(t *testing.T) {
	p, echo, metrics := delayedServer(t, "1500ms")
	held, err := net.Dial("tcp4", echo) // keeps the server draining after the delay
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	sent := time.Now()
	waitProbe(t, "http://"+metrics+"/readyz", "status 503")
	p.WaitLog(t, "SIGTERM: not ready; accepting for 1.5s more, then draining", 1)
	for i := 0; time.Since(sent) < time.Second; i++ {
		c, err := net.Dial("tcp4", echo)
		if err == nil {
			err = echotest.Stream(c, echotest.Payload(100, uint64(i)), 5*time.Second)
			c.Close()
		}
		if err != nil {
			t.Fatalf("connection %d, %v after SIGTERM, within the delay: %v", i, time.Since(sent), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.WaitLog(t, "SIGTERM: draining 1 connections", 1)
	if took := time.Since(sent); took < 1500*time.Millisecond {
		t.Errorf("draining began %v after SIGTERM, before the 1.5s delay", took)
	}
	if c, err := net.Dial("tcp4", echo); !errors.Is(err, syscall.ECONNREFUSED) {
		if c != nil {
			c.Close()
		}
		t.Errorf("connect after the delay: %v, want connection refused (the listener's only copy closed)", err)
	}
	if err := echotest.Stream(held, echotest.Payload(100, 99), 5*time.Second); err != nil {
		t.Errorf("the open connection stopped echoing while draining: %v", err)
	}
	held.Close()
	if code := p.Wait(t, 15*time.Second); code != 0 {
		t.Fatalf("exit code %d, want 0", code)
	}
}

// TestShutdownDelaySecondSignal: a second SIGTERM during the delay ends
// the process at once with exit 1, as during the drain.
func TestShutdownDelaySecondSignal(t *testing.T) {
	p, _, _ := delayedServer(t, "30s")
	for _, want := range []string{"not ready; accepting for 30s more", "second SIGTERM: exiting at once"} {
		if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		p.WaitLog(t, want, 1)
	}
	if code := p.Wait(t, 5*time.Second); code != 1 {
		t.Fatalf("exit code %d, want 1", code)
	}
}
