package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest"
)

// binary is the server built once by TestMain; the tests exec it.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "echo-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "echo-server")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building the server: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a started server process.
type proc struct {
	cmd    *exec.Cmd
	stderr *echotest.LockedBuffer
	exited chan struct{}
	err    error
}

// startActivated runs the server with files as fds 3.. (nil: a closed fd)
// and LISTEN_FDS/LISTEN_FDNAMES set, as systemd would.
func startActivated(t *testing.T, files []*os.File, names []string, args ...string) *proc {
	t.Helper()
	return startCmd(t, execActivated(files, names, args...))
}

// execActivated is the command startActivated runs, for tests that add to
// its environment before starting it. LISTEN_FDNAMES is left unset when
// names is nil.
func execActivated(files []*os.File, names []string, args ...string) *exec.Cmd {
	return echotest.Activation{Files: files, Names: names}.Command(binary, args...)
}

// startCmd starts cmd with its stderr captured (unless the caller set
// cmd.Stderr and feeds p.stderr itself), and kills it at test end if it is
// still running.
func startCmd(t *testing.T, cmd *exec.Cmd) *proc {
	t.Helper()
	p := &proc{cmd: cmd, stderr: &echotest.LockedBuffer{}, exited: make(chan struct{})}
	if cmd.Stderr == nil {
		cmd.Stderr = p.stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("server stderr:\n%s", p.stderr.String())
		}
	})
	return p
}

// waitLog waits until the server's stderr holds n lines containing s.
func (p *proc) waitLog(t *testing.T, s string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(p.stderr.String(), s) < n {
		select {
		case <-p.exited:
			t.Fatalf("server exited (%v) before logging %q %d times", p.err, s, n)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not log %q %d times", s, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// wait returns the exit code once the process exits, failing after timeout.
func (p *proc) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(timeout):
		t.Fatalf("server still running after %v", timeout)
	}
	var ee *exec.ExitError
	switch {
	case p.err == nil:
		return 0
	case errors.As(p.err, &ee):
		return ee.ExitCode()
	}
	t.Fatalf("wait: %v", p.err)
	return -1
}

// terminate sends SIGTERM and returns the exit code.
func (p *proc) terminate(t *testing.T) int {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	return p.wait(t, 15*time.Second)
}

// execServer is the server started directly, with args.
func execServer(args ...string) *exec.Cmd {
	cmd := exec.Command(binary, args...)
	cmd.Env = echotest.WithoutListenVars(os.Environ())
	return cmd
}
