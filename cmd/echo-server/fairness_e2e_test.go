package main

import (
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest"
)

// TestOneAddressCannotTakeTheServer is the scenario of the issue, on the
// real binary with the default per-source cap: with --max-conns 600, one
// address (127.0.0.2) opens 600 connections and stays silent; it holds a
// quarter (150), and 20 clients from another IPv4 address and 20 over IPv6
// are then all served. The refusals are counted by reason in the metrics
// and logged once (not once per refusal).
func TestOneAddressCannotTakeTheServer(t *testing.T) {
	tcp4, tcp6 := listenFamily(t, "tcp4", ""), listenFamily(t, "tcp6", "")
	metrics := listenFamily(t, "tcp4", "")
	p := startActivated(t, []*os.File{tcp4.File, tcp6.File, metrics.File}, []string{"tcp4", "tcp6", "metrics"}, "--max-conns", "600")
	p.WaitLog(t, "echo-server started", 1)
	hog := dialFrom(t, "127.0.0.2", tcp4.Addr, 600)
	if hog != 150 {
		t.Fatalf("one address got %d of 600 connections echoed, want 150 (a quarter of --max-conns)", hog)
	}
	_, port6, _ := net.SplitHostPort(tcp6.Addr)
	if n := dialFrom(t, "127.0.0.3", tcp4.Addr, 20); n != 20 {
		t.Errorf("another IPv4 address: %d of 20 served", n)
	}
	if n := dialFrom(t, "::1", net.JoinHostPort("::1", port6), 20); n != 20 {
		t.Errorf("IPv6: %d of 20 served", n)
	}
	body := scrape(t, "http://"+metrics.Addr+"/metrics")
	if !strings.Contains(body, `echo_connections_rejected_total{network="tcp4",socket="tcp4",reason="per_source"} 450`) {
		t.Errorf("metrics do not count 450 per_source rejections:\n%s", grepLines(body, "rejected"))
	}
	if n := strings.Count(p.Stderr.String(), "connection refused: per-source limit"); n != 1 {
		t.Errorf("%d log lines for 450 refusals from one source, want 1", n)
	}
}

// dialFrom opens n connections to addr from the local address from, keeps
// them open until the test ends, and returns how many echoed.
func dialFrom(t *testing.T, from, addr string, n int) int {
	t.Helper()
	served := 0
	for range n {
		c, err := echotest.DialFrom(from, addr)
		if err != nil {
			t.Fatalf("dial from %s: %v", from, err)
		}
		t.Cleanup(func() { c.Close() })
		if echotest.Stream(c, []byte("hold"), 5*time.Second) == nil {
			served++
		}
	}
	return served
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
