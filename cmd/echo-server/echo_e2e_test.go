package main

import (
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest"
)

var (
	streamSizes   = []int{1, 64 << 10, 4 << 20}
	datagramSizes = []int{1, 64, 1024, 4096, 8192}
	allFamilies   = []string{"tcp4", "tcp6", "udp4", "udp6", "unix", "unixgram"}
)

// checkEcho checks one socket the server serves, byte for byte.
func checkEcho(t *testing.T, s testSocket, dir string) {
	t.Helper()
	c, err := echotest.Dial(s.Network, s.Addr, dir)
	if err != nil {
		t.Fatalf("%s: %v", s.Name, err)
	}
	defer c.Close()
	switch s.Network {
	case "udp4", "udp6", "unixgram":
		for _, n := range datagramSizes {
			if err := echotest.Datagram(c, echotest.Payload(n, 7), 5*time.Second); err != nil {
				t.Errorf("%s: %v", s.Name, err)
			}
		}
		return
	}
	for _, n := range streamSizes {
		if err := echotest.Stream(c, echotest.Payload(n, 7), 30*time.Second); err != nil {
			t.Errorf("%s: %v", s.Name, err)
		}
	}
}

func TestActivatedEveryFamily(t *testing.T) {
	dir := echotest.TempDir(t)
	socks := familySockets(t, dir)
	files, names := filesAndNames(socks)
	p := startActivated(t, files, names, "--loops", "2")
	p.WaitLog(t, "msg=serving", len(socks))
	for _, s := range socks {
		p.WaitLog(t, "name="+s.Name, 1)
		t.Run(s.Name, func(t *testing.T) { checkEcho(t, s, dir) })
	}
	t.Run("200 concurrent tcp clients", func(t *testing.T) { concurrentClients(t, socks[0].Addr, 200) })
	if code := p.Terminate(t, 15*time.Second); code != 0 {
		t.Fatalf("exit code after SIGTERM = %d, want 0", code)
	}
}

func concurrentClients(t *testing.T, addr string, n int) {
	for _, err := range echotest.ConcurrentStreams("tcp4", addr, n, 16<<10, 30*time.Second) {
		t.Error(err)
	}
}

// TestAcceptYes passes one connected socket, as systemd's Accept=yes does:
// it is echoed, and the server exits 0 once the peer closes it.
func TestAcceptYes(t *testing.T) {
	client, f, err := echotest.AcceptedPair()
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	p := startActivated(t, []*os.File{f}, []string{"conn"})
	f.Close()
	if err := echotest.Stream(client, echotest.Payload(1<<20, 9), 20*time.Second); err != nil {
		t.Fatal(err)
	}
	client.Close()
	if code := p.Wait(t, 10*time.Second); code != 0 {
		t.Fatalf("exit code = %d, want 0", code)
	}
}

// TestDrainOnSIGTERM: an open connection keeps echoing after SIGTERM until
// it closes, and one that stays open is cut at --drain-timeout; exit is 0.
func TestDrainOnSIGTERM(t *testing.T) {
	sock := listenFamily(t, "tcp4", "")
	p := startActivated(t, []*os.File{sock.File}, []string{"tcp"}, "--drain-timeout", "3s") // room for a 256 KiB echo on a loaded machine
	c, err := net.Dial("tcp4", sock.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := echotest.Stream(c, []byte("before"), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if err := echotest.Stream(c, echotest.Payload(256<<10, 4), 5*time.Second); err != nil {
		t.Fatalf("echo while draining: %v", err)
	}
	start := time.Now()
	if code := p.Wait(t, 10*time.Second); code != 0 {
		t.Fatalf("exit code = %d, want 0", code)
	}
	if waited := time.Since(start); waited > 8*time.Second {
		t.Fatalf("drain took %v with --drain-timeout 3s", waited)
	}
	p.WaitLog(t, "drain time over", 1)
	p.WaitLog(t, "open=1 ", 1) // counted when the time ran out, before the close
}
