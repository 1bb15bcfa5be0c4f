package engine

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// MetricsName is the LISTEN_FDNAMES name (FileDescriptorName=metrics) of
// an inherited stream socket that serves Prometheus metrics over HTTP
// instead of echoing, so the server needs no network socket of its own.
const MetricsName = "metrics"

// The metrics are written in the Prometheus text exposition format by
// hand, and served by a minimal HTTP/1.x responder, rather than with
// prometheus/client_golang and net/http: measured here, those two took the
// static binary from 4.9 to 9.6 MB (the image must stay under 10 MB) and
// added about 3 ms of package initialisation before main, against a
// start-up budget (exec to READY=1) of 5 ms. The counters stay plain
// atomics on the hot paths and are read only when scraped.

type metric struct {
	name, help, kind string
	value            func(SocketStats) float64
}

var socketMetrics = []metric{
	{"echo_connections_accepted_total", "Stream connections accepted.", "counter", func(s SocketStats) float64 { return float64(s.Accepted) }},
	{"echo_connections_open", "Stream connections open now.", "gauge", func(s SocketStats) float64 { return float64(s.Open) }},
	{"echo_connections_rejected_total", "Stream connections closed at once over --max-conns.", "counter", func(s SocketStats) float64 { return float64(s.Rejected) }},
	{"echo_connections_idle_closed_total", "Stream connections closed by --idle-timeout.", "counter", func(s SocketStats) float64 { return float64(s.IdleClosed) }},
	{"echo_received_bytes_total", "Bytes received.", "counter", func(s SocketStats) float64 { return float64(s.BytesIn) }},
	{"echo_sent_bytes_total", "Bytes echoed.", "counter", func(s SocketStats) float64 { return float64(s.BytesOut) }},
	{"echo_datagrams_received_total", "Datagrams received.", "counter", func(s SocketStats) float64 { return float64(s.DatagramsIn) }},
	{"echo_datagrams_sent_total", "Datagrams echoed.", "counter", func(s SocketStats) float64 { return float64(s.DatagramsOut) }},
	{"echo_datagrams_dropped_total", "Datagrams not echoed: no reply address, or a unix peer not reading.", "counter", func(s SocketStats) float64 { return float64(s.Dropped) }},
	{"echo_errors_total", "I/O errors.", "counter", func(s SocketStats) float64 { return float64(s.Errors) }},
}

// reasonMetrics have one line per socket and RefuseReason (UDP sockets only).
var reasonMetrics = []struct {
	name, help, kind string
	value            func(SocketStats, RefuseReason) float64
}{
	{"echo_datagrams_refused_total", "UDP datagrams not answered, by reason (README: UDP abuse).", "counter", func(s SocketStats, r RefuseReason) float64 { return float64(s.Refused[r]) }},
}

// WriteMetrics writes every socket's counters and the process gauges in
// the Prometheus text format.
func (s *Server) WriteMetrics(w io.Writer) {
	stats := s.Stats()
	for _, m := range socketMetrics {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", m.name, m.help, m.name, m.kind)
		for _, st := range stats {
			if st.Name != MetricsName {
				fmt.Fprintf(w, "%s{network=%q,socket=%q} %s\n", m.name, st.Network, st.Name, formatValue(m.value(st)))
			}
		}
	}
	writeReasonMetrics(w, stats)
	writeProcessMetrics(w)
}

func writeReasonMetrics(w io.Writer, stats []SocketStats) {
	for _, m := range reasonMetrics {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", m.name, m.help, m.name, m.kind)
		for _, st := range stats {
			if !strings.HasPrefix(st.Network, "udp") {
				continue
			}
			for _, r := range RefuseReasons {
				fmt.Fprintf(w, "%s{network=%q,socket=%q,reason=%q} %s\n", m.name, st.Network, st.Name, r, formatValue(m.value(st, r)))
			}
		}
	}
}

func writeProcessMetrics(w io.Writer) {
	gauge := func(name, help string, v float64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %s\n", name, help, name, name, formatValue(v))
	}
	gauge("go_goroutines", "Goroutines that currently exist.", float64(runtime.NumGoroutine()))
	if fds, err := os.ReadDir("/proc/self/fd"); err == nil {
		gauge("process_open_fds", "Open file descriptors.", float64(len(fds)))
	}
	if rss, ok := residentBytes(); ok {
		gauge("process_resident_memory_bytes", "Resident memory size in bytes.", float64(rss))
	}
}

// residentBytes reads the resident set size from /proc/self/statm.
func residentBytes() (int64, bool) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0, false
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize()), err == nil
}

func formatValue(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// serveMetrics answers HTTP requests on the metrics socket, one connection
// at a time (a scrape is short; a slow client is cut by the deadline).
func (s *Server) serveMetrics(sv *served) error {
	ln, err := fromFD(sv, net.FileListener)
	if err != nil {
		return err
	}
	s.run(ln, func() { s.acceptLoop(ln, sv, s.answerScrape) })
	return nil
}

// answerScrape reads one request head and answers GET and HEAD with the
// metrics, anything else with 405; then it closes the connection.
func (s *Server) answerScrape(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	method, ok := readRequestHead(c)
	status, body := "200 OK", &bytes.Buffer{}
	switch {
	case !ok:
		status = "400 Bad Request"
	case method == "GET" || method == "HEAD":
		s.WriteMetrics(body)
	default:
		status = "405 Method Not Allowed"
	}
	fmt.Fprintf(c, "HTTP/1.1 %s\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", status, body.Len())
	if method != "HEAD" {
		_, _ = c.Write(body.Bytes())
	}
}

// readRequestHead reads an HTTP/1.x request head (at most 16 KiB) and
// returns its method.
func readRequestHead(c net.Conn) (string, bool) {
	r := bufio.NewReader(io.LimitReader(c, 16<<10))
	line, err := r.ReadString('\n')
	method, _, found := strings.Cut(line, " ")
	if err != nil || !found || !strings.Contains(line, " HTTP/1.") {
		return "", false
	}
	for {
		h, err := r.ReadString('\n')
		if err != nil {
			return "", false
		}
		if h == "\r\n" || h == "\n" {
			return method, true
		}
	}
}
