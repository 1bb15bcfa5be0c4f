package metrics

import (
	"io"
)

// WriteMetrics writes every metric in the Prometheus text format: the engine's
// per-socket counters, echo_build_info, echo_ready, this server's own
// connection counters, and the process metrics.
func (s *Server) WriteMetrics(w io.Writer) {
	t := textWriter{w}
	stats := s.src.Stats()
	writeSockets(t, stats)
	writeRefused(t, stats)
	writeRejected(t, stats)
	writeBuildInfo(t, s.version)
	t.single("echo_ready", "1 while /readyz answers 200 (every socket served, shutdown not begun), else 0.", "gauge", boolValue(s.health.Ready()))
	t.single("echo_http_connections_evicted_total", "Metrics/health connections closed while waiting without a request, to make room for a new one.", "counter", float64(s.limit.evicted.Load()))
	t.single("echo_http_connections_refused_total", "Metrics/health connections closed at once: every slot was answering a request.", "counter", float64(s.limit.refused.Load()))
	s.writeConfined(t)
	writeProcess(t)
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
