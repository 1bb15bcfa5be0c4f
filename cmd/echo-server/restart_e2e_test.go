package main

import (
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest"
)

// TestZeroLossRestart holds the listening sockets the way systemd does and
// restarts the server five times (SIGTERM, then a new process on the same
// fds) while clients connect and echo without pause. No TCP connection may
// fail and no byte may differ; every exit is 0. UDP loss across the
// restarts is measured and logged.
func TestZeroLossRestart(t *testing.T) {
	tcp, udp := listenFamily(t, "tcp4", ""), listenFamily(t, "udp4", "")
	files, names := filesAndNames([]testSocket{tcp, udp})
	stop := make(chan struct{})
	var tcpRounds, tcpFailures atomic.Int64
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			msg := echotest.Payload(1024+i, uint64(i))
			for {
				select {
				case <-stop:
					return
				default:
				}
				c, err := net.Dial("tcp4", tcp.Addr)
				if err == nil {
					err = echotest.Stream(c, msg, 10*time.Second)
					c.Close()
				}
				if err != nil {
					tcpFailures.Add(1)
					t.Errorf("tcp client %d: %v", i, err)
				}
				tcpRounds.Add(1)
			}
		}()
	}
	udpSent, udpBack := udpTicker(t, udp.Addr, stop, &wg)

	const restarts = 5 // instances stopped; the last one is started after them
	for restart := range restarts {
		p := startActivated(t, files, names, "--loops", "1", "--drain-timeout", "3s")
		p.WaitLog(t, "msg=serving", 2)
		time.Sleep(300 * time.Millisecond)
		if code := p.Terminate(t, 15*time.Second); code != 0 {
			t.Fatalf("start %d: exit code %d", restart, code)
		}
	}
	// A last instance answers what queued during the last stop.
	p := startActivated(t, files, names, "--loops", "1")
	p.WaitLog(t, "msg=serving", 2)
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	p.Terminate(t, 15*time.Second)
	t.Logf("tcp: %d connections, %d failed; udp: %d datagrams sent, %d echoed (%d lost over %d restarts)",
		tcpRounds.Load(), tcpFailures.Load(), udpSent.Load(), udpBack.Load(), udpSent.Load()-udpBack.Load(), restarts)
	if tcpRounds.Load() < 100 {
		t.Fatalf("only %d tcp rounds: the test did not exercise the restarts", tcpRounds.Load())
	}
}

// udpTicker sends a numbered datagram every millisecond until stop and
// counts the echoes that come back intact.
func udpTicker(t *testing.T, addr string, stop chan struct{}, wg *sync.WaitGroup) (sent, back *atomic.Int64) {
	sent, back = new(atomic.Int64), new(atomic.Int64)
	c, err := net.Dial("udp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		defer time.AfterFunc(500*time.Millisecond, func() { c.Close() }) // late echoes still count
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
			if _, err := fmt.Fprintf(c, "datagram %08d", i); err == nil {
				sent.Add(1)
			}
		}
	}()
	go func() {
		defer wg.Done()
		buf := make([]byte, 64)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			if n == 17 && string(buf[:9]) == "datagram " {
				back.Add(1)
			}
		}
	}()
	return sent, back
}

// TestTenThousandConnections opens 10,000 connections at once, echoes on
// every one of them while all are open, and bounds the server's RSS per
// open connection (1.05 KiB measured; a per-connection buffer kept after
// the echo, 64 KiB in gnet, would show as many times the bound).
func TestTenThousandConnections(t *testing.T) {
	if testing.Short() {
		echotest.Skip(t, "-short: opens 10,000 connections")
	}
	const n = 10000
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur < n+200 {
		echotest.Skip(t, "RLIMIT_NOFILE is %d (hard %d): 10,000 connections need %d fds in the test and in the server; raise the hard limit", rl.Cur, rl.Max, n+200)
	}
	sock := listenFamily(t, "tcp4", "")
	p := startActivated(t, []*os.File{sock.File}, []string{"tcp"}, "--loops", "2", "--drain-timeout", "100ms",
		"--max-conns-per-source", "0") // 10,000 from one address: more than the default quarter of the fd limit
	p.WaitLog(t, "msg=serving", 1)
	pid := p.Cmd.Process.Pid
	before := rss(t, pid)
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range n {
		c, err := net.Dial("tcp4", sock.Addr)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		conns = append(conns, c)
	}
	msg := []byte("sixteen bytes!!!")
	for i, c := range conns {
		if err := echotest.Stream(c, msg, 10*time.Second); err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
	}
	after := rss(t, pid)
	perConn := float64(after-before) / n
	t.Logf("RSS %d KiB before, %d KiB with %d open connections: %.2f KiB per connection",
		before, after, n, perConn)
	if perConn > maxKiBPerConn {
		t.Errorf("%.2f KiB of server RSS per open connection, want at most %d", perConn, maxKiBPerConn)
	}
}

// maxKiBPerConn bounds the server's RSS per open idle connection.
const maxKiBPerConn = 4
