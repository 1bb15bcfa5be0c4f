package engine

import (
	"errors"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// MetricsName is the LISTEN_FDNAMES name (FileDescriptorName=metrics) of
// an inherited stream socket that serves Prometheus metrics over HTTP
// instead of echoing, so the server needs no network socket of its own.
const MetricsName = "metrics"

// The counters stay plain atomics on the hot paths; a prometheus.Collector
// reads them only when scraped, so metrics cost the echo nothing.
var metricDescs = []struct {
	desc  *prometheus.Desc
	kind  prometheus.ValueType
	value func(SocketStats) float64
}{
	{desc("connections_accepted_total", "Stream connections accepted."), prometheus.CounterValue, func(s SocketStats) float64 { return float64(s.Accepted) }},
	{desc("connections_open", "Stream connections open now."), prometheus.GaugeValue, func(s SocketStats) float64 { return float64(s.Open) }},
	{desc("connections_rejected_total", "Stream connections closed at once over --max-conns."), prometheus.CounterValue, func(s SocketStats) float64 { return float64(s.Rejected) }},
	{desc("connections_idle_closed_total", "Stream connections closed by --idle-timeout."), prometheus.CounterValue, func(s SocketStats) float64 { return float64(s.IdleClosed) }},
	{desc("received_bytes_total", "Bytes received."), prometheus.CounterValue, func(s SocketStats) float64 { return float64(s.BytesIn) }},
	{desc("sent_bytes_total", "Bytes echoed."), prometheus.CounterValue, func(s SocketStats) float64 { return float64(s.BytesOut) }},
	{desc("datagrams_received_total", "Datagrams received."), prometheus.CounterValue, func(s SocketStats) float64 { return float64(s.DatagramsIn) }},
	{desc("datagrams_sent_total", "Datagrams echoed."), prometheus.CounterValue, func(s SocketStats) float64 { return float64(s.DatagramsOut) }},
	{desc("datagrams_dropped_total", "Datagrams not echoed: no reply address, or a unix peer not reading."), prometheus.CounterValue, func(s SocketStats) float64 { return float64(s.Dropped) }},
	{desc("errors_total", "I/O errors."), prometheus.CounterValue, func(s SocketStats) float64 { return float64(s.Errors) }},
}

func desc(name, help string) *prometheus.Desc {
	return prometheus.NewDesc("echo_"+name, help, []string{"socket", "network"}, nil)
}

type statsCollector struct{ s *Server }

func (c statsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range metricDescs {
		ch <- m.desc
	}
}

func (c statsCollector) Collect(ch chan<- prometheus.Metric) {
	for _, st := range c.s.Stats() {
		if st.Name == MetricsName {
			continue
		}
		for _, m := range metricDescs {
			ch <- prometheus.MustNewConstMetric(m.desc, m.kind, m.value(st), st.Name, st.Network)
		}
	}
}

// serveMetrics serves GET /metrics (any path) on the metrics socket.
func (s *Server) serveMetrics(sv *served) error {
	ln, err := fileListener(sv)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(statsCollector{s}, collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	srv := &http.Server{Handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), ReadHeaderTimeout: 5 * time.Second}
	s.stoppers = append(s.stoppers, ln)
	s.loops.Add(1)
	go func() {
		defer s.loops.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, os.ErrClosed) {
			s.log.Warn("metrics server stopped", "err", err)
		}
	}()
	return nil
}
