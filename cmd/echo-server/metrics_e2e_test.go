package main

import (
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest"
)

// TestMetricsSocket: an inherited socket named "metrics" serves the
// Prometheus text format with the counters of every other socket.
func TestMetricsSocket(t *testing.T) {
	tcp, metrics := listenFamily(t, "tcp4", ""), listenFamily(t, "tcp4", "")
	p := startActivated(t, []*os.File{tcp.File, metrics.File}, []string{"tcp", "metrics"})
	p.waitLog(t, "msg=serving", 2)
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
		"process_resident_memory_bytes",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(body, `socket="metrics"`) {
		t.Error("the metrics socket reports itself as an echo socket")
	}
	c.Close()
	if code := p.terminate(t); code != 0 {
		t.Fatalf("exit code %d", code)
	}
}

func TestMetricsListenFlag(t *testing.T) {
	dir := shortDir(t)
	cmd := startCmd(t, execServer("--listen", "udp4://127.0.0.1:0", "--metrics-listen", "unix://"+dir+"/m.sock"))
	cmd.waitLog(t, "msg=serving", 2)
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
	cmd.terminate(t)
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
