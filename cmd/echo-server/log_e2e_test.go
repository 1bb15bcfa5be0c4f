package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest"
)

// startWithStderrPipe starts cmd with stderr on a pipe of the test's own,
// and with JOURNAL_STREAM set by journalStream from the pipe's device and
// inode (as systemd sets it for StandardError=journal).
func startWithStderrPipe(t *testing.T, cmd *exec.Cmd, journalStream func(dev, ino uint64) string) *proc {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(int(w.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	if v := journalStream(st.Dev, st.Ino); v != "" {
		cmd.Env = append(cmd.Env, "JOURNAL_STREAM="+v)
	}
	cmd.Stderr = w
	p := startCmd(t, cmd)
	w.Close()
	go func() { _, _ = io.Copy(p.Stderr, r); r.Close() }()
	return p
}

// TestLogFormats: with JOURNAL_STREAM naming stderr (or --log-format
// journal) every line starts with its syslog priority (<4> for a warning,
// <6> for info) and has no timestamp; a JOURNAL_STREAM of another stream
// leaves the text format; json is JSON.
func TestLogFormats(t *testing.T) {
	match := func(dev, ino uint64) string { return fmt.Sprintf("%d:%d", dev, ino) }
	other := func(dev, ino uint64) string { return fmt.Sprintf("%d:%d", dev, ino+1) }
	none := func(uint64, uint64) string { return "" }
	tests := []struct {
		name    string
		stream  func(dev, ino uint64) string
		args    []string
		check   func(line string) bool
		journal bool
	}{
		{"auto, stderr is the journal", match, nil, journalLine, true},
		{"--log-format journal", none, []string{"--log-format", "journal"}, journalLine, true},
		{"auto, JOURNAL_STREAM of another stream", other, nil, textLine, false},
		{"--log-format text under the journal", match, []string{"--log-format=text"}, textLine, false},
		{"--log-format json", none, []string{"--log-format", "json"}, jsonLine, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sock := listenFamily(t, "tcp4", "")
			args := append([]string{"--sdnotify"}, tt.args...) // --sdnotify without NOTIFY_SOCKET: a warning
			cmd := execActivated([]*os.File{sock.File}, []string{"tcp"}, args...)
			cmd.Env = withoutVar(cmd.Env, "NOTIFY_SOCKET", "JOURNAL_STREAM")
			p := startWithStderrPipe(t, cmd, tt.stream)
			p.WaitLog(t, "echo-server started", 1)
			if code := p.Terminate(t, 15*time.Second); code != 0 {
				t.Fatalf("exit code %d", code)
			}
			// the pipe may still hold the last lines when the process is gone
			for end := time.Now().Add(2 * time.Second); !strings.Contains(p.Stderr.String(), "stopped") && time.Now().Before(end); {
				time.Sleep(10 * time.Millisecond)
			}
			lines := strings.Split(strings.TrimSpace(p.Stderr.String()), "\n")
			if len(lines) < 4 {
				t.Fatalf("too few lines:\n%s", p.Stderr.String())
			}
			for _, l := range lines {
				if !tt.check(l) {
					t.Errorf("line not in the format: %q", l)
				}
			}
			if tt.journal && !strings.HasPrefix(warningLine(lines), "<4>") {
				t.Errorf("the --sdnotify warning has no <4> prefix: %q", warningLine(lines))
			}
		})
	}
}

func warningLine(lines []string) string {
	for _, l := range lines {
		if strings.Contains(l, "NOTIFY_SOCKET is not set") {
			return l
		}
	}
	return ""
}

// journalLine: a priority prefix matching the level, and no timestamp.
func journalLine(l string) bool {
	prio := map[string]string{"<3>": "ERROR", "<4>": "WARN", "<6>": "INFO", "<7>": "DEBUG"}[l[:min(3, len(l))]]
	return prio != "" && strings.HasPrefix(l[3:], "level="+prio+" ") && !strings.Contains(l, "time=")
}

func textLine(l string) bool { return l != "" && strings.HasPrefix(l, "time=") }

func jsonLine(l string) bool {
	var m map[string]any
	return l != "" && json.Unmarshal([]byte(l), &m) == nil && m["time"] != nil && m["msg"] != nil
}

func withoutVar(env []string, names ...string) []string {
	var out []string
	for _, e := range env {
		keep := true
		for _, n := range names {
			keep = keep && !strings.HasPrefix(e, n+"=")
		}
		if keep {
			out = append(out, e)
		}
	}
	return out
}

// TestSignalLines: one start-up line (version, loops, every socket); the
// first SIGTERM or SIGINT logs "draining N connections, up to D"; a second
// one ends the process at once with exit 1 and says how many it cut.
func TestSignalLines(t *testing.T) {
	for _, sigs := range [][2]syscall.Signal{{syscall.SIGTERM, syscall.SIGTERM}, {syscall.SIGINT, syscall.SIGTERM}} {
		first, second := sigName(sigs[0]), sigName(sigs[1])
		t.Run(first+" then "+second, func(t *testing.T) {
			dir := echotest.TempDir(t)
			tcp, udp := listenFamily(t, "tcp4", dir), listenFamily(t, "udp4", dir)
			p := startActivated(t, []*os.File{tcp.File, udp.File}, []string{"tcp", "udp"}, "--drain-timeout", "1h", "--loops", "1")
			p.WaitLog(t, "echo-server started", 1)
			want := fmt.Sprintf(`loops=1 sockets="tcp4 %s (tcp), udp4 %s (udp)"`, tcp.Addr, udp.Addr)
			if !strings.Contains(p.Stderr.String(), want) || !strings.Contains(p.Stderr.String(), "version=") {
				t.Fatalf("start-up line lacks version and %s:\n%s", want, p.Stderr.String())
			}
			c := openConn(t, tcp.Addr)
			defer c.Close()
			_ = p.Cmd.Process.Signal(sigs[0])
			p.WaitLog(t, first+": draining 1 connections, up to 1h", 1)
			start := time.Now()
			_ = p.Cmd.Process.Signal(sigs[1])
			if code := p.Wait(t, 10*time.Second); code != 1 {
				t.Fatalf("exit code after a second signal %d, want 1", code)
			}
			t.Logf("exit %v after the second signal", time.Since(start))
			p.WaitLog(t, "second "+second+": exiting at once, cutting 1 connections", 1)
		})
	}
}

func sigName(s syscall.Signal) string {
	return map[syscall.Signal]string{syscall.SIGTERM: "SIGTERM", syscall.SIGINT: "SIGINT"}[s]
}

// openConn is a connection that has had one echo, so the server counts it open.
func openConn(t *testing.T, addr string) net.Conn {
	c, err := net.Dial("tcp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := echotest.Stream(c, []byte("open"), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestDebugLines: --debug logs datagram batches and connection closes; a
// client's orderly close carries no error (gnet reports it as read: EOF).
func TestDebugLines(t *testing.T) {
	dir := echotest.TempDir(t)
	tcp, udp := listenFamily(t, "tcp4", dir), listenFamily(t, "udp4", dir)
	p := startActivated(t, []*os.File{tcp.File, udp.File}, []string{"tcp", "udp"}, "--debug")
	p.WaitLog(t, "echo-server started", 1)
	checkEcho(t, testSocket{Name: "udp", Network: "udp4", Addr: udp.Addr}, dir)
	openConn(t, tcp.Addr).Close()
	p.WaitLog(t, "msg=close socket=tcp", 1)
	p.WaitLog(t, "msg=datagrams socket=udp read=1 bytes=64", 1)
	if code := p.Terminate(t, 15*time.Second); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	if log := p.Stderr.String(); strings.Contains(log, "EOF") || strings.Contains(log, "level=ERROR") {
		t.Fatalf("an orderly close logged as an error:\n%s", log)
	}
}

// TestAcceptYesQuiet: with Accept=yes each connection is a process, so its
// start, stop and counters log at debug level: nothing at the default level.
func TestAcceptYesQuiet(t *testing.T) {
	for _, debug := range []bool{false, true} {
		client, f, err := echotest.AcceptedPair()
		if err != nil {
			t.Fatal(err)
		}
		var args []string
		if debug {
			args = []string{"--debug"}
		}
		p := startActivated(t, []*os.File{f}, []string{"conn"}, args...)
		f.Close()
		if err := echotest.Stream(client, []byte("accept=yes"), 10*time.Second); err != nil {
			t.Fatal(err)
		}
		client.Close()
		if code := p.Wait(t, 10*time.Second); code != 0 {
			t.Fatalf("exit code %d", code)
		}
		log := p.Stderr.String()
		if debug != (log != "") || debug && !strings.Contains(log, `level=DEBUG msg="echo-server started"`) {
			t.Fatalf("--debug %v: log:\n%s", debug, log)
		}
	}
}
