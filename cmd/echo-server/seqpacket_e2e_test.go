package main

import (
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine"
	"github.com/echo-activation/echo-server/engine/echotest"
)

// checkRecords echoes records from 1 byte to engine.MaxRecord on the
// SOCK_SEQPACKET socket at addr, one at a time and then 100 in flight, each
// checked to come back as one whole record.
func checkRecords(t *testing.T, addr string) {
	t.Helper()
	c, err := echotest.DialRecords(addr, engine.MaxRecord)
	if err != nil {
		t.Fatalf("%s: %v", addr, err)
	}
	defer c.Close()
	for _, n := range []int{1, 1500, 64 << 10, engine.MaxRecord} {
		if err := c.Echo(echotest.Payload(n, uint64(n))); err != nil {
			t.Fatalf("%s, %d bytes: %v", addr, n, err)
		}
	}
	records := make([][]byte, 100)
	for i := range records {
		records[i] = echotest.Payload(1+i*331, uint64(i))
	}
	if i, err := c.EchoInFlight(records); err != nil {
		t.Fatalf("%s, record %d of 100 in flight: %v", addr, i, err)
	}
}

// TestSeqpacketSystemdSocketActivate: the real systemd-socket-activate
// --seqpacket passes a path and an abstract SOCK_SEQPACKET listener; the
// server serves both as unixpacket and exits 0 on SIGTERM.
func TestSeqpacketSystemdSocketActivate(t *testing.T) {
	ssa := echotest.NeedTool(t, "systemd-socket-activate", "systemd")
	dir := echotest.TempDir(t)
	path, abstract := dir+"/p.sock", "@"+dir[1:]+"-p"
	p := startCmd(t, exec.Command(ssa, "--seqpacket", "-l", path, "-l", abstract, "--fdname=path:abstract", binary, "--loops", "1"))
	p.WaitLog(t, "Listening on", 2)
	// The first client makes systemd-socket-activate exec the server; the
	// kernel queues its connection meanwhile.
	checkRecords(t, path)
	checkRecords(t, abstract)
	for _, want := range []string{"name=path network=unixpacket addr=" + path, "name=abstract network=unixpacket addr=" + abstract} {
		p.WaitLog(t, want, 1)
	}
	if code := p.Terminate(t, 15*time.Second); code != 0 {
		t.Fatalf("exit code = %d", code)
	}
}

// TestSeqpacketListenFlag: --listen unixpacket:// on a path and an abstract
// name: named unixpacket in the serving lines, the start-up line and the
// metrics; the socket file is removed on exit.
func TestSeqpacketListenFlag(t *testing.T) {
	dir := echotest.TempDir(t)
	urls := []string{"unixpacket://" + dir + "/p.sock", "unixpacket://@" + dir[1:] + "-p"}
	p := startCmd(t, execServer("--listen", urls[0], "--listen", urls[1], "--metrics-listen", "unix://"+dir+"/m.sock"))
	p.WaitLog(t, "echo-server started", 1)
	addrs := serverAddrs(p.Stderr.String())
	for _, u := range urls {
		if addrs[u][0] != "unixpacket" {
			t.Fatalf("%s: serving as %q, want unixpacket:\n%s", u, addrs[u][0], p.Stderr.String())
		}
		checkRecords(t, addrs[u][1])
	}
	p.WaitLog(t, "sockets=\"unixpacket "+dir+"/p.sock ("+urls[0]+"), unixpacket @", 1)
	body := scrapeUnix(t, dir+"/m.sock")
	if want := `echo_datagrams_received_total{network="unixpacket",socket="` + urls[0] + `"} 104`; !strings.Contains(body, want) {
		t.Fatalf("metrics lack %q:\n%s", want, body)
	}
	if code := p.Terminate(t, 15*time.Second); code != 0 {
		t.Fatalf("exit code = %d", code)
	}
	if _, err := exec.Command("test", "-e", dir+"/p.sock").CombinedOutput(); err == nil {
		t.Fatal("the socket file is left after exit")
	}
}

// TestSeqpacketMaxConnsAndDrain: over --max-conns a connection is closed at
// once and logged; after SIGTERM an open connection goes on echoing until it
// closes, and the server exits 0.
func TestSeqpacketMaxConnsAndDrain(t *testing.T) {
	addr := "@" + echotest.TempDir(t)[1:] + "-p"
	p := startCmd(t, execServer("--listen", "unixpacket://"+addr, "--max-conns", "1", "--drain-timeout", "10s"))
	p.WaitLog(t, "echo-server started", 1)
	c, err := echotest.DialRecords(addr, 1<<10)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Echo([]byte("first")); err != nil {
		t.Fatal(err)
	}
	over, err := echotest.DialRecords(addr, 1<<10)
	if err != nil {
		t.Fatal(err)
	}
	defer over.Close()
	if !over.Ended() {
		t.Fatal("a second connection over --max-conns 1 was not closed")
	}
	p.WaitLog(t, "connection limit reached", 1)
	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.WaitLog(t, "draining 1 connections", 1)
	time.Sleep(100 * time.Millisecond)
	if err := c.Echo([]byte("while draining")); err != nil {
		t.Fatalf("echo while draining: %v", err)
	}
	c.Close()
	start := time.Now()
	if code := p.Wait(t, 10*time.Second); code != 0 {
		t.Fatalf("exit code = %d", code)
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Fatalf("exit took %v after the last connection closed", waited)
	}
}

// scrapeUnix gets /metrics from a --metrics-listen unix socket.
func scrapeUnix(t *testing.T, path string) string {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Dial: func(_, _ string) (net.Conn, error) {
		return net.Dial("unix", path)
	}}}
	resp, err := client.Get("http://metrics/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /metrics: %d %v", resp.StatusCode, err)
	}
	return string(b)
}
