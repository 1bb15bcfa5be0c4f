package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest"
)

// notifySocket listens where the server's sd_notify messages go, as
// systemd's NOTIFY_SOCKET does, and delivers each message on a channel.
func notifySocket(t *testing.T) (string, <-chan string) {
	path := echotest.TempDir(t) + "/notify"
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	msgs := make(chan string, 100)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := c.Read(buf)
			if err != nil {
				close(msgs)
				return
			}
			msgs <- string(buf[:n])
		}
	}()
	return path, msgs
}

// nextNotify waits for a message containing want.
func nextNotify(t *testing.T, msgs <-chan string, want string) string {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case m := <-msgs:
			if strings.Contains(m, want) {
				return m
			}
		case <-timeout:
			t.Fatalf("no sd_notify message with %q", want)
		}
	}
}

// TestSdNotify: READY=1 once serving, STATUS= with counters, WATCHDOG=1 at
// half of WATCHDOG_USEC, and STOPPING=1 with EXTEND_TIMEOUT_USEC on SIGTERM.
// It also logs the time from exec to READY=1 with six sockets.
func TestSdNotify(t *testing.T) {
	dir := echotest.TempDir(t)
	socks := familySockets(t, dir)
	files, names := filesAndNames(socks)
	path, msgs := notifySocket(t)
	cmd := execActivated(files, names, "--drain-timeout", "1s")
	cmd.Env = append(cmd.Env, "NOTIFY_SOCKET="+path, "WATCHDOG_USEC=200000")
	start := time.Now()
	p := startCmd(t, cmd)
	ready := nextNotify(t, msgs, "READY=1")
	t.Logf("exec to READY=1 with %d sockets: %v", len(socks), time.Since(start))
	if !strings.Contains(ready, "STATUS=serving 6 sockets") {
		t.Errorf("READY message lacks STATUS: %q", ready)
	}
	nextNotify(t, msgs, "WATCHDOG=1")
	if err := p.Cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	stop := nextNotify(t, msgs, "STOPPING=1")
	if !strings.Contains(stop, "EXTEND_TIMEOUT_USEC=3000000") {
		t.Errorf("STOPPING message lacks EXTEND_TIMEOUT_USEC for a 1s drain: %q", stop)
	}
	if code := p.Wait(t, 10*time.Second); code != 0 {
		t.Fatalf("exit code %d", code)
	}
}

// TestSIGTERMAtReady: a SIGTERM sent the moment READY=1 arrives drains
// and exits 0, removing the server's socket file: the signal subscription,
// made beside the start-up work (signals.go), is in force by READY=1.
func TestSIGTERMAtReady(t *testing.T) {
	dir := echotest.TempDir(t)
	for i := range 10 {
		path, msgs := notifySocket(t)
		sock := filepath.Join(dir, fmt.Sprintf("s%d.sock", i))
		cmd := execServer("--listen", "unix://"+sock, "--listen", "tcp4://127.0.0.1:0", "--drain-timeout", "1s")
		cmd.Env = append(cmd.Env, "NOTIFY_SOCKET="+path)
		p := startCmd(t, cmd)
		nextNotify(t, msgs, "READY=1")
		if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if code := p.Wait(t, 10*time.Second); code != 0 {
			t.Fatalf("start %d: exit code %d after a SIGTERM at READY=1", i, code)
		}
		if _, err := os.Stat(sock); !os.IsNotExist(err) {
			t.Fatalf("start %d: socket file still there after the drain: %v", i, err)
		}
	}
}
