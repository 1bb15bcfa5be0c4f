package metrics

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/echo-activation/echo-server/engine"
	"github.com/echo-activation/echo-server/engine/udprules"
)

func TestSample(t *testing.T) {
	for _, tc := range []struct {
		name   string
		v      float64
		labels []string
		want   string
	}{
		{"plain", 3, nil, "m 3\n"},
		{"big counter", 1 << 53, nil, "m 9.007199254740992e+15\n"},
		{"fraction", 0.25, nil, "m 0.25\n"},
		{"infinite", math.Inf(1), nil, "m +Inf\n"},
		{"labels", 1, []string{"network", "tcp4", "socket", "web"}, `m{network="tcp4",socket="web"} 1` + "\n"},
		{"escaped label", 1, []string{"socket", "a\"b\\c\nd"}, `m{socket="a\"b\\c\nd"} 1` + "\n"},
		{"utf-8 kept", 1, []string{"socket", "é"}, `m{socket="é"} 1` + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			textWriter{&b}.sample("m", tc.v, tc.labels...)
			if b.String() != tc.want {
				t.Fatalf("got %q, want %q", b.String(), tc.want)
			}
		})
	}
}

// TestWriteSockets: every per-socket family has a HELP and TYPE line and
// one sample per socket, in the order of the table.
func TestWriteSockets(t *testing.T) {
	var b bytes.Buffer
	stats := []engine.SocketStats{
		{Name: "a", Network: "tcp4", Accepted: 7, BytesIn: 100},
		{Name: "b", Network: "udp6", DatagramsIn: 3},
	}
	writeSockets(textWriter{&b}, stats)
	out := b.String()
	for _, want := range []string{
		"# HELP echo_connections_accepted_total Stream connections accepted.\n# TYPE echo_connections_accepted_total counter\n" +
			`echo_connections_accepted_total{network="tcp4",socket="a"} 7` + "\n" +
			`echo_connections_accepted_total{network="udp6",socket="b"} 0` + "\n",
		`echo_received_bytes_total{network="tcp4",socket="a"} 100`,
		`echo_datagrams_received_total{network="udp6",socket="b"} 3`,
		"# TYPE echo_connections_open gauge\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if got, want := strings.Count(out, "# TYPE "), len(socketMetrics); got != want {
		t.Errorf("%d families, want %d", got, want)
	}
}

// TestWriteRefused: one sample per UDP socket and reason, none for others.
func TestWriteRefused(t *testing.T) {
	var b bytes.Buffer
	u := engine.SocketStats{Name: "u", Network: "udp6"}
	u.Refused[udprules.RefusedLoop] = 3
	stats := []engine.SocketStats{{Name: "tcp", Network: "tcp4"}, u}
	writeRefused(textWriter{&b}, stats)
	out := b.String()
	for _, want := range []string{
		"# TYPE echo_datagrams_refused_total counter\n",
		`echo_datagrams_refused_total{network="udp6",socket="u",reason="loop"} 3`,
		`echo_datagrams_refused_total{network="udp6",socket="u",reason="source_port"} 0`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, `socket="tcp"`) || strings.Count(out, "\n") != 2+len(udprules.Reasons) {
		t.Errorf("want samples for the UDP socket only:\n%s", out)
	}
}
