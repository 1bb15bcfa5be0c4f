//go:build linux

package echotest

import (
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Proc is a child process a test started (the server, HAProxy, a load
// generator) with its stderr captured: the one process harness of the
// command's tests and the fleet tests.
type Proc struct {
	Name   string
	Cmd    *exec.Cmd
	Stderr *LockedBuffer
	Exited chan struct{} // closed once the process has exited; Err is then its result
	Err    error
}

// procLogTail is how much of a failed test's process stderr is printed.
const procLogTail = 8000

// Start starts cmd with its stderr captured (unless the caller set
// cmd.Stderr and feeds p.Stderr itself). The test's cleanup kills it if it
// is still running and, if the test failed, prints the end of its stderr.
func Start(t testing.TB, name string, cmd *exec.Cmd) *Proc {
	t.Helper()
	p := &Proc{Name: name, Cmd: cmd, Stderr: &LockedBuffer{}, Exited: make(chan struct{})}
	if cmd.Stderr == nil {
		cmd.Stderr = p.Stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { p.Err = cmd.Wait(); close(p.Exited) }()
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			log := p.Stderr.String()
			t.Logf("%s stderr (last %d bytes):\n%s", name, procLogTail, log[max(0, len(log)-procLogTail):])
		}
	})
	return p
}

// Kill kills the process if it is still running and waits for its exit.
func (p *Proc) Kill() {
	select {
	case <-p.Exited:
	default:
		_ = p.Cmd.Process.Kill()
		<-p.Exited
	}
}

// WaitLog waits until the process's stderr holds n lines containing s,
// failing after 10 s or when the process exits first.
func (p *Proc) WaitLog(t testing.TB, s string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(p.Stderr.String(), s) < n {
		select {
		case <-p.Exited:
			if strings.Count(p.Stderr.String(), s) >= n {
				return // it logged, then exited: the log is read to its end now
			}
			t.Fatalf("%s exited (%v) before logging %q %d times", p.Name, p.Err, s, n)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not log %q %d times in 10s", p.Name, s, n)
		}
	}
}

// Wait returns the exit code once the process has exited, failing after
// timeout.
func (p *Proc) Wait(t testing.TB, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.Exited:
	case <-time.After(timeout):
		t.Fatalf("%s still running after %v", p.Name, timeout)
	}
	var ee *exec.ExitError
	switch {
	case p.Err == nil:
		return 0
	case errors.As(p.Err, &ee):
		return ee.ExitCode()
	}
	t.Fatalf("wait for %s: %v", p.Name, p.Err)
	return -1
}

// Terminate sends SIGTERM and returns the exit code, failing after timeout.
func (p *Proc) Terminate(t testing.TB, timeout time.Duration) int {
	t.Helper()
	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM to %s: %v", p.Name, err)
	}
	return p.Wait(t, timeout)
}
