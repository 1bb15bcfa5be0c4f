package main

import (
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest"
)

// TestFDExhaustionOnLoops: the listener starts on gnet's event loops (fds
// are ample under a limit of 700), and more clients connect than the
// server has fds for. gnet's own accept must never meet EMFILE (it would
// end the loop): the listener leaves the loops first and the server backs
// off in Go, without spinning; the connections accepted on the loops keep
// echoing; once clients leave, the queued ones are served and the loops
// accept again.
func TestFDExhaustionOnLoops(t *testing.T) {
	const clients = 800 // the server's fd limit is 700
	sock := listenFamily(t, "tcp4", "")
	fdLimit := []string{"sh", "-c", `ulimit -n 700 && exec "$0" "$@"`}
	p := startCmd(t, echotest.Activation{Files: []*os.File{sock.File}, Names: []string{"tcp"}, Prefix: fdLimit}.Command(binary, "--loops", "2", "--max-conns-per-source", "0"))
	p.WaitLog(t, "msg=serving", 1)
	first, err := net.Dial("tcp4", sock.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	if err := echotest.Stream(first, []byte("on a loop"), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	conns := dialN(t, sock.Addr, clients-1) // the kernel queues what the server cannot take
	p.WaitLog(t, "accept failing, backing off", 1)
	before := cpuTime(t, p.Cmd.Process.Pid)
	time.Sleep(time.Second)
	if used := cpuTime(t, p.Cmd.Process.Pid) - before; used > 200*time.Millisecond {
		t.Fatalf("server used %v of CPU in 1 s while out of fds: spinning", used)
	}
	if err := echotest.Stream(first, []byte("still here"), 5*time.Second); err != nil {
		t.Fatalf("the first connection, on a loop: %v", err)
	}
	for _, c := range conns[:clients-100] {
		c.Close()
	}
	if err := echotest.Stream(conns[clients-2], []byte("queued, then served"), 10*time.Second); err != nil {
		t.Fatalf("a queued connection after fds freed up: %v", err)
	}
	p.WaitLog(t, "accepting on the event loops", 1)
	if err := echotest.Stream(dialN(t, sock.Addr, 1)[0], []byte("on the loops again"), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if log := p.Stderr.String(); strings.Contains(log, "level=ERROR") {
		t.Fatalf("an error was logged (gnet's accept failing ends its loop):\n%s", log)
	}
}

// dialN connects n clients to addr; they are closed when the test ends.
func dialN(t *testing.T, addr string, n int) []net.Conn {
	t.Helper()
	conns := make([]net.Conn, n)
	for i := range conns {
		c, err := net.Dial("tcp4", addr)
		if err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
		t.Cleanup(func() { c.Close() })
		conns[i] = c
	}
	return conns
}
