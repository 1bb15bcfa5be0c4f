package main

import (
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest"
)

// TestMetricsSocket: an inherited socket named "metrics" serves the
// Prometheus text format with the counters of every other socket.
func TestMetricsSocket(t *testing.T) {
	tcp, metrics := listenFamily(t, "tcp4", ""), listenFamily(t, "tcp4", "")
	p := startActivated(t, []*os.File{tcp.File, metrics.File}, []string{"tcp", "metrics"})
	p.WaitLog(t, "msg=serving", 2)
	c, err := net.Dial("tcp4", tcp.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := echotest.Stream(c, echotest.Payload(1000, 1), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	body := scrape(t, "http://"+metrics.Addr+"/metrics")
	for _, want := range []string{
		`echo_received_bytes_total{network="tcp4",socket="tcp"} 1000`,
		`echo_connections_open{network="tcp4",socket="tcp"} 1`,
		`echo_connections_accepted_total{network="tcp4",socket="tcp"} 1`,
		"# TYPE echo_sent_bytes_total counter",
		`echo_build_info{version="dev",goversion="go`,
		"echo_ready 1\n",
		"process_resident_memory_bytes ",
		"process_cpu_seconds_total ",
		"process_start_time_seconds ",
		"process_open_fds ",
		"process_max_fds ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(body, `socket="metrics"`) {
		t.Error("the metrics socket reports itself as an echo socket")
	}
	c.Close()
	if code := p.Terminate(t, 15*time.Second); code != 0 {
		t.Fatalf("exit code %d", code)
	}
}

func TestMetricsListenFlag(t *testing.T) {
	dir := echotest.TempDir(t)
	cmd := startCmd(t, execServer("--listen", "udp4://127.0.0.1:0", "--metrics-listen", "unix://"+dir+"/m.sock"))
	cmd.WaitLog(t, "msg=serving", 2)
	client := &http.Client{Transport: &http.Transport{Dial: func(_, _ string) (net.Conn, error) {
		return net.Dial("unix", dir+"/m.sock")
	}}}
	resp, err := client.Get("http://metrics/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(b), `echo_datagrams_received_total{network="udp4"`) {
		t.Fatalf("metrics over unix socket:\n%s", b)
	}
	cmd.Terminate(t, 15*time.Second)
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return string(b)
}

// TestReadinessFollowsShutdown: /readyz is 200 while serving and 503 from
// SIGTERM on, while /livez stays 200 and connections drain; checked with
// the probe subcommand, as an exec health check would.
func TestReadinessFollowsShutdown(t *testing.T) {
	tcp, metrics := listenFamily(t, "tcp4", ""), listenFamily(t, "tcp4", "")
	p := startActivated(t, []*os.File{tcp.File, metrics.File}, []string{"tcp", "metrics"}, "--drain-timeout", "60s")
	p.WaitLog(t, "msg=serving", 2)
	ready, live := "http://"+metrics.Addr+"/readyz", "http://"+metrics.Addr+"/livez"
	for _, u := range []string{ready, live, "tcp://" + tcp.Addr} {
		if code, out := runProbe(t, u); code != 0 {
			t.Fatalf("before SIGTERM: %s", out)
		}
	}
	held, err := net.Dial("tcp4", tcp.Addr) // keeps the server draining
	if err != nil {
		t.Fatal(err)
	}
	if err := echotest.Stream(held, echotest.Payload(10, 1), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitProbe(t, ready, "status 503 Service Unavailable: not ready")
	if code, out := runProbe(t, live); code != 0 {
		t.Errorf("livez while draining: %s", out)
	}
	if body := scrape(t, "http://"+metrics.Addr+"/metrics"); !strings.Contains(body, "echo_ready 0\n") {
		t.Error("echo_ready is not 0 while draining")
	}
	if err := echotest.Stream(held, echotest.Payload(10, 2), 5*time.Second); err != nil {
		t.Fatalf("the held connection stopped echoing while draining: %v", err)
	}
	held.Close()
	if code := p.Wait(t, 15*time.Second); code != 0 {
		t.Fatalf("exit code %d", code)
	}
}

// waitProbe runs the probe until it fails with want (10 s at most).
func waitProbe(t *testing.T, url, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, out := runProbe(t, "--timeout", "1s", url)
		if code == 1 && strings.Contains(out, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("probe %s still says %q", url, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestScrapeWithIdleClients: 20 TCP clients that connect to the metrics
// socket and send nothing do not delay a scrape (the old responder served
// one connection at a time with a 5 s deadline: 20 such clients made a
// 10 s scrape time out).
func TestScrapeWithIdleClients(t *testing.T) {
	tcp, metrics := listenFamily(t, "tcp4", ""), listenFamily(t, "tcp4", "")
	p := startActivated(t, []*os.File{tcp.File, metrics.File}, []string{"tcp", "metrics"})
	p.WaitLog(t, "msg=serving", 2)
	for range 20 {
		c, err := net.Dial("tcp4", metrics.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	time.Sleep(100 * time.Millisecond) // let the server accept them all
	for range 3 {
		start := time.Now()
		body := scrape(t, "http://"+metrics.Addr+"/metrics")
		if d := time.Since(start); d > time.Second {
			t.Fatalf("scrape took %v with 20 idle clients", d)
		}
		if !strings.Contains(body, "echo_http_connections_evicted_total ") {
			t.Fatal("no eviction counter in the metrics")
		}
	}
}

// TestMetricsNameOnDatagram: a datagram socket named "metrics" is a
// mistake; it is logged and neither served nor echoed on.
func TestMetricsNameOnDatagram(t *testing.T) {
	tcp, udp := listenFamily(t, "tcp4", ""), listenFamily(t, "udp4", "")
	p := startActivated(t, []*os.File{tcp.File, udp.File}, []string{"tcp", "metrics"})
	p.WaitLog(t, "not a listening stream socket", 1)
	p.WaitLog(t, "msg=serving", 1)
	c, err := net.Dial("udp4", udp.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := echotest.Datagram(c, []byte("hello"), 500*time.Millisecond); err == nil {
		t.Fatal("a datagram socket named metrics echoed")
	}
	if code := p.Terminate(t, 15*time.Second); code != 0 {
		t.Fatalf("exit code %d", code)
	}
}
