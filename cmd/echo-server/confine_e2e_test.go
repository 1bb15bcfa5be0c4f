//go:build linux && amd64

package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest"
	"github.com/echo-activation/echo-server/engine/echotest/inject"
	"golang.org/x/sys/unix"
)

// TestConfinedFromOutside starts the real server (with --listen, and
// under systemd-socket-activate), waits until it serves, and makes the
// seven attempts of issue 19 inside it with ptrace: confined, each fails
// and nothing reaches the test's sockets; with --confine off each gets
// through (so the test can fail). Echo works byte for byte afterwards,
// every thread shows Seccomp 2 and NoNewPrivs 1 (0 and 0 when off), and
// every thread, the event loops and UDP readers started after confinement
// among them, is refused a read of /etc/passwd (Landlock shows in no
// status field).
func TestConfinedFromOutside(t *testing.T) {
	for _, tc := range []struct {
		start, mode string
		confined    bool
	}{
		{start: "listen", mode: "auto", confined: true},
		{start: "listen", mode: "required", confined: true},
		{start: "listen", mode: "off"},
		{start: "activate", mode: "auto", confined: true},
		{start: "activate", mode: "off"},
	} {
		t.Run(tc.start+"/"+tc.mode, func(t *testing.T) {
			p, echoAddr := startForConfine(t, tc.start, "--confine", tc.mode)
			skipIfIncomplete(t, p.stderr.String())
			pid := p.cmd.Process.Pid
			before := threadStatus(t, pid)
			tr, peers := newTracee(t, pid), newPeers(t)
			for _, a := range attempts {
				if a.name == "mptcp connect out" && !tc.confined && !mptcpAvailable() {
					continue // nothing to show: the kernel has no MPTCP
				}
				errno := a.try(tr, peers)
				reached := a.reached(tr, peers, errno)
				switch {
				case tc.confined && (errno != a.confined || reached):
					t.Errorf("%s: errno %v, reached %v; want %v and nothing reached", a.name, errno, reached, a.confined)
				case !tc.confined && !reached:
					t.Errorf("%s with --confine off: errno %v, did not get through", a.name, errno)
				}
			}
			checkEchoAfter(t, echoAddr)
			if tc.start == "listen" {
				checkMetricsAfter(t, p.stderr.String(), tc.confined)
			}
			checkThreads(t, pid, tc.confined, len(before))
			checkReadOnEveryThread(t, tr, tc.confined)
			if code := p.terminate(t); code != 0 {
				t.Fatalf("exit code %d", code)
			}
		})
	}
}

// tracedProc is a started server that nothing waits for until terminate:
// a tracer's wait (os/exec's Wait goroutine of startCmd is one) consumes
// the ptrace stops that engine/echotest/inject waits for.
type tracedProc struct {
	cmd    *exec.Cmd
	stderr *echotest.LockedBuffer
}

func startTraced(t *testing.T, cmd *exec.Cmd) *tracedProc {
	t.Helper()
	p := &tracedProc{cmd: cmd, stderr: &echotest.LockedBuffer{}}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		if t.Failed() {
			t.Logf("server stderr:\n%s", p.stderr.String())
		}
	})
	return p
}

// waitLog waits until stderr holds s; the process is not reaped meanwhile,
// so an early exit shows as a timeout with the log.
func (p *tracedProc) waitLog(t *testing.T, s string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(p.stderr.String(), s); {
		if time.Now().After(deadline) {
			t.Fatalf("server did not log %q", s)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// terminate sends SIGTERM and returns the exit code.
func (p *tracedProc) terminate(t *testing.T) int {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("server still running 15s after SIGTERM")
	}
	return p.cmd.ProcessState.ExitCode()
}

// startForConfine starts the server with args, by --listen or by
// systemd-socket-activate, and returns it once it serves, with the
// address of its TCP echo socket.
func startForConfine(t *testing.T, how string, args ...string) (*tracedProc, string) {
	if how == "listen" {
		dir := echotest.TempDir(t)
		p := startTraced(t, execServer(append([]string{"--listen", "tcp4://127.0.0.1:0", "--listen", "unix://" + dir + "/s.sock",
			"--listen", "udp4://127.0.0.1:0", "--metrics-listen", "tcp://127.0.0.1:0"}, args...)...))
		p.waitLog(t, "echo-server started")
		return p, serverAddrs(p.stderr.String())["tcp4://127.0.0.1:0"][1]
	}
	ssa := echotest.NeedTool(t, "systemd-socket-activate", "systemd")
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t, "tcp4", "127.0.0.1"))
	p := startTraced(t, exec.Command(ssa, append([]string{"-l", addr, binary}, args...)...))
	p.waitLog(t, "Listening on")
	c, err := net.DialTimeout("tcp4", addr, 5*time.Second) // execs the server
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	p.waitLog(t, "echo-server started")
	return p, addr
}

func checkEchoAfter(t *testing.T, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp4", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("echo after the attempts: %v", err)
	}
	defer c.Close()
	if err := echotest.Stream(c, echotest.Payload(1<<16, 19), 5*time.Second); err != nil {
		t.Fatalf("echo after the attempts: %v", err)
	}
	for _, err := range echotest.ConcurrentStreams("tcp4", addr, 16, 4096, 5*time.Second) {
		if err != nil {
			t.Fatalf("concurrent echo after the attempts: %v", err)
		}
	}
}

// checkMetricsAfter scrapes /metrics 12 at a time (the server answers 16
// at once), 48 times in all: work for new threads, as each scrape reads
// /proc files; and checks echo_confined.
func checkMetricsAfter(t *testing.T, log string, confined bool) {
	t.Helper()
	m := regexp.MustCompile(`try="curl -s (http://[^"]+/metrics)"`).FindStringSubmatch(log)
	if m == nil {
		t.Fatal("no metrics address in the log")
	}
	want := `echo_confined{layer="seccomp"} 0`
	if confined {
		want = `echo_confined{layer="seccomp"} 1`
	}
	for range 4 {
		var wg sync.WaitGroup
		for range 12 {
			wg.Go(func() {
				if body, err := get(m[1]); err != nil || !strings.Contains(body, want) || !strings.Contains(body, "process_open_fds ") {
					t.Errorf("scrape: %v, or no %q or process_open_fds", err, want)
				}
			})
		}
		wg.Wait()
	}
}

func get(url string) (string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// checkThreads checks Seccomp and NoNewPrivs on every thread, after the
// load of checkEchoAfter had the runtime start what threads it wanted.
func checkThreads(t *testing.T, pid int, confined bool, before int) {
	t.Helper()
	want := [2]string{"0", "0"}
	if confined {
		want = [2]string{"2", "1"}
	}
	threads := threadStatus(t, pid)
	for tid, st := range threads {
		if got := [2]string{st["Seccomp"], st["NoNewPrivs"]}; got != want {
			t.Errorf("thread %s: Seccomp, NoNewPrivs = %v, want %v", tid, got, want)
		}
	}
	t.Logf("%d threads at start, %d after the attempts and the load", before, len(threads))
}

// checkReadOnEveryThread makes each thread of the tracee open /etc/passwd:
// EACCES on every one when confined; opened (and closed) when not.
func checkReadOnEveryThread(t *testing.T, tr *tracee, confined bool) {
	t.Helper()
	path := tr.path("/etc/passwd")
	want := syscall.Errno(0)
	if confined {
		want = unix.EACCES
	}
	tids := 0
	for tid := range threadStatus(t, tr.pid) {
		id, _ := strconv.Atoi(tid)
		fd, errno, err := inject.Syscall(tr.pid, id, unix.SYS_OPENAT, atFDCWD, path, unix.O_RDONLY|unix.O_CLOEXEC)
		if err != nil {
			continue // the thread ended meanwhile
		}
		tids++
		if errno == 0 {
			_, _, _ = inject.Syscall(tr.pid, id, unix.SYS_CLOSE, fd)
		}
		if errno != want {
			t.Errorf("thread %d: open /etc/passwd: errno %v, want %v", id, errno, want)
		}
	}
	if tids < 2 {
		t.Errorf("open /etc/passwd tried on %d threads, want every thread of the server", tids)
	}
}

// threadStatus is the status fields of every thread of pid, by thread id.
func threadStatus(t *testing.T, pid int) map[string]map[string]string {
	paths, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	out := map[string]map[string]string{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // the thread ended
		}
		fields := map[string]string{}
		for _, line := range strings.Split(string(b), "\n") {
			k, v, _ := strings.Cut(line, ":")
			fields[k] = strings.TrimSpace(v)
		}
		out[filepath.Base(filepath.Dir(p))] = fields
	}
	if len(out) == 0 {
		t.Fatalf("no threads of %d", pid)
	}
	return out
}

// skipIfIncomplete skips (fails under CI) when the server's start-up line
// says a layer is missing on this kernel.
func skipIfIncomplete(t *testing.T, log string) {
	if m := regexp.MustCompile(`confine="[^"]*missing: ([^"]*)"`).FindStringSubmatch(log); m != nil {
		echotest.Skip(t, "kernel without every confinement layer: %s", m[1])
	}
}
