package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest"
)

// TestListenNamesAndDualStack: localhost is resolved (tcp6:// to ::1), and
// tcp://:P and udp://:P are one socket that clients on 127.0.0.1 and on ::1
// both reach (traffic on loopback only).
func TestListenNamesAndDualStack(t *testing.T) {
	dir := echotest.TempDir(t)
	urls := []string{"tcp://localhost:0", "tcp6://localhost:0", "udp://localhost:0", "tcp://:0", "udp://[::]:0"}
	var args []string
	for _, u := range urls {
		args = append(args, "--listen", u)
	}
	p := startCmd(t, execServer(append(args, "--loops", "1")...))
	p.WaitLog(t, "msg=serving", len(urls))
	addrs := serverAddrs(p.Stderr.String())
	checks := []struct {
		url, network, addr string
	}{
		{"tcp://localhost:0", "tcp4", "127.0.0.1"},
		{"tcp6://localhost:0", "tcp6", "[::1]"},
		{"udp://localhost:0", "udp4", "127.0.0.1"},
		{"tcp://:0", "tcp4", "127.0.0.1"},
		{"tcp://:0", "tcp6", "[::1]"},
		{"udp://[::]:0", "udp4", "127.0.0.1"},
		{"udp://[::]:0", "udp6", "[::1]"},
	}
	for _, c := range checks {
		got, ok := addrs[c.url]
		if !ok {
			t.Fatalf("no serving line for %s:\n%s", c.url, p.Stderr.String())
		}
		s := testSocket{Name: c.url, Network: c.network, Addr: fmt.Sprintf("%s:%d", c.addr, portOf(t, got[1]))}
		t.Run(c.url+" via "+c.addr, func(t *testing.T) { checkEcho(t, s, dir) })
	}
	if code := p.Terminate(t, 15*time.Second); code != 0 {
		t.Fatalf("exit code %d", code)
	}
}

// TestUnixSocketFiles: a stale socket file at a --listen path is replaced,
// the files the server created are removed when it exits, and an inherited
// socket's file (systemd's) is left in place.
func TestUnixSocketFiles(t *testing.T) {
	dir := echotest.TempDir(t)
	stream, dgram := dir+"/stream.sock", dir+"/dgram.sock"
	staleSocket(t, stream)
	inherited := listenFamily(t, "unix", dir)
	p := startCmd(t, execServer("--listen", "unix://"+stream, "--listen", "unixgram://"+dgram))
	p.WaitLog(t, "msg=serving", 2)
	checkEcho(t, testSocket{Name: "stream", Network: "unix", Addr: stream}, dir)
	checkEcho(t, testSocket{Name: "dgram", Network: "unixgram", Addr: dgram}, dir)
	if code := p.Terminate(t, 15*time.Second); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	for _, path := range []string{stream, dgram} {
		if _, err := os.Lstat(path); !os.IsNotExist(err) {
			t.Errorf("%s left behind after exit (%v)", path, err)
		}
	}

	files, names := filesAndNames([]testSocket{inherited})
	q := startActivated(t, files, names)
	q.WaitLog(t, "msg=serving", 1)
	if code := q.Terminate(t, 15*time.Second); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	if _, err := os.Lstat(inherited.Addr); err != nil {
		t.Errorf("the inherited socket's file was removed: %v", err)
	}
}

// staleSocket leaves a socket file at path with no server behind it, as a
// crashed server does.
func staleSocket(t *testing.T, path string) {
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
}

// TestTryCommands: the try= command of each serving line, run as printed
// (by sh, with socat), gets its hello back: abstract unix datagram sockets
// and dual-stack wildcards included.
func TestTryCommands(t *testing.T) {
	echotest.NeedTool(t, "socat", "socat")
	dir := echotest.TempDir(t)
	urls := []string{"tcp://:0", "udp4://127.0.0.1:0", "udp://:0", "unix://" + dir + "/s.sock",
		"unix://@" + dir[1:] + "-s", "unixgram://" + dir + "/g.sock", "unixgram://@" + dir[1:] + "-g",
		"unixpacket://" + dir + "/p.sock", "unixpacket://@" + dir[1:] + "-p", "mptcp://127.0.0.1:0"}
	var args []string
	for _, u := range urls {
		args = append(args, "--listen", u)
	}
	p := startCmd(t, execServer(args...))
	p.WaitLog(t, "echo-server started", 1)
	tries := regexp.MustCompile(`msg=serving name=(\S+) .* try="((?:[^"\\]|\\.)*)"`).FindAllStringSubmatch(p.Stderr.String(), -1)
	if len(tries) != len(urls) {
		t.Fatalf("%d try= lines for %d sockets:\n%s", len(tries), len(urls), p.Stderr.String())
	}
	for _, m := range tries {
		try, err := strconv.Unquote(`"` + m[2] + `"`)
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("sh", "-c", try+"; rm -f /tmp/echo-client-$$.sock").CombinedOutput()
		if err != nil || string(out) != "hello\n" {
			t.Errorf("%s: %s: %v\n%s", m[1], try, err, out)
		}
	}
	if code := p.Terminate(t, 15*time.Second); code != 0 {
		t.Fatalf("exit code %d", code)
	}
}
