package metrics

import (
	"fmt"
	"io"
	"math"
	"runtime"
	"strconv"
	"strings"

	"github.com/echo-activation/echo-server/engine"
	"github.com/echo-activation/echo-server/engine/udprules"
)

// metric is one per-socket counter or gauge of the engine.
type metric struct {
	name, help, kind string
	value            func(engine.SocketStats) float64
}

var socketMetrics = []metric{
	{"echo_connections_accepted_total", "Stream connections accepted.", "counter", func(s engine.SocketStats) float64 { return float64(s.Accepted) }},
	{"echo_connections_open", "Stream connections open now.", "gauge", func(s engine.SocketStats) float64 { return float64(s.Open) }},
	{"echo_connections_idle_closed_total", "Stream connections closed by --idle-timeout.", "counter", func(s engine.SocketStats) float64 { return float64(s.IdleClosed) }},
	{"echo_received_bytes_total", "Bytes received.", "counter", func(s engine.SocketStats) float64 { return float64(s.BytesIn) }},
	{"echo_sent_bytes_total", "Bytes echoed.", "counter", func(s engine.SocketStats) float64 { return float64(s.BytesOut) }},
	{"echo_datagrams_received_total", "Datagrams received.", "counter", func(s engine.SocketStats) float64 { return float64(s.DatagramsIn) }},
	{"echo_datagrams_sent_total", "Datagrams echoed.", "counter", func(s engine.SocketStats) float64 { return float64(s.DatagramsOut) }},
	{"echo_datagrams_dropped_total", "Datagrams not echoed: no reply address, or a unix peer not reading.", "counter", func(s engine.SocketStats) float64 { return float64(s.Dropped) }},
	{"echo_errors_total", "I/O errors.", "counter", func(s engine.SocketStats) float64 { return float64(s.Errors) }},
}

// textWriter writes the Prometheus text exposition format (version 0.0.4).
type textWriter struct{ w io.Writer }

func (t textWriter) family(name, help, kind string) {
	fmt.Fprintf(t.w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, kind)
}

// sample writes one line; labels are name/value pairs.
func (t textWriter) sample(name string, v float64, labels ...string) {
	var b strings.Builder
	b.WriteString(name)
	for i := 0; i+1 < len(labels); i += 2 {
		sep := ","
		if i == 0 {
			sep = "{"
		}
		fmt.Fprintf(&b, `%s%s="%s"`, sep, labels[i], escapeLabel(labels[i+1]))
	}
	if len(labels) > 0 {
		b.WriteByte('}')
	}
	fmt.Fprintf(t.w, "%s %s\n", b.String(), formatValue(v))
}

// single writes a family of one unlabelled sample.
func (t textWriter) single(name, help, kind string, v float64) {
	t.family(name, help, kind)
	t.sample(name, v)
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func escapeLabel(s string) string { return labelEscaper.Replace(s) }

func formatValue(v float64) string {
	if math.IsInf(v, 1) {
		return "+Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// writeSockets writes every socket's counters, one family per counter.
func writeSockets(t textWriter, stats []engine.SocketStats) {
	for _, m := range socketMetrics {
		t.family(m.name, m.help, m.kind)
		for _, st := range stats {
			t.sample(m.name, m.value(st), "network", st.Network, "socket", st.Name)
		}
	}
}

// writeRefused writes echo_datagrams_refused_total: one sample per UDP
// socket and reason (README: UDP abuse).
func writeRefused(t textWriter, stats []engine.SocketStats) {
	const name = "echo_datagrams_refused_total"
	t.family(name, "UDP datagrams not answered, by reason (README: UDP abuse).", "counter")
	for _, st := range stats {
		if !strings.HasPrefix(st.Network, "udp") {
			continue
		}
		for _, r := range udprules.Reasons {
			t.sample(name, float64(st.Refused[r]), "network", st.Network, "socket", st.Name, "reason", r.String())
		}
	}
}

// writeRejected writes echo_connections_rejected_total: one sample per
// stream socket and reason (max_conns, per_source, rate, table_full,
// proxy_header).
func writeRejected(t textWriter, stats []engine.SocketStats) {
	const name = "echo_connections_rejected_total"
	t.family(name, "Stream connections closed at once, by reason (README: Limits, Fair to every client).", "counter")
	for _, st := range stats {
		if strings.HasPrefix(st.Network, "udp") || st.Network == "unixgram" {
			continue
		}
		for r := range engine.NumRejectReasons {
			t.sample(name, float64(st.RejectedBy[r]), "network", st.Network, "socket", st.Name, "reason", r.String())
		}
	}
}

// writeBuildInfo writes echo_build_info, constant 1, labelled with the
// version and the Go release that built the binary.
func writeBuildInfo(t textWriter, version string) {
	t.family("echo_build_info", "The server's version and the Go release that built it; always 1.", "gauge")
	t.sample("echo_build_info", 1, "version", version, "goversion", runtime.Version())
}
