package report

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/echo-activation/echo-server/bench/internal/loadgen"
)

func results() []loadgen.Result {
	pp := func(server string, rate float64) loadgen.Result {
		return loadgen.Result{Server: server, Mode: loadgen.PingPong, Network: "tcp", Conns: 50, Len: 64,
			Messages: 100, MsgPerSec: rate, Seconds: 1, ServerCPUus: 5e5, ServerCPUusPerMs: 5000, ServerPeakRSSKB: 2048}
	}
	bad := pp("p", 0)
	bad.Messages, bad.Error = 0, "server not ready"
	return []loadgen.Result{pp("p", 90), pp("p", 100), pp("p", 300), bad, pp("ref", 200), pp("c", 400)}
}

func TestAggregateMedianAndRatio(t *testing.T) {
	tab := Aggregate(results())
	w := tab.Workloads[0]
	a := tab.Get(w, "p")
	if a.Metric != (Stat{Median: 100, Min: 90, Max: 300, N: 3}) || a.Failed != 1 || len(a.Notes) != 1 {
		t.Fatalf("aggregate: %+v", a)
	}
	if r, ok := tab.Ratio(w, "p", "ref"); !ok || r != 0.5 {
		t.Fatalf("ratio %v %v", r, ok)
	}
	if _, ok := tab.Ratio(w, "p", "missing"); ok {
		t.Fatal("ratio to a missing server")
	}
	if a.CPUPct != 50 {
		t.Fatalf("cpu %% %v", a.CPUPct)
	}
}

func TestMarkdownAndChart(t *testing.T) {
	tab := Aggregate(results())
	var b strings.Builder
	m := Meta{Command: "make bench", Machine: "nproc 2", Project: "p", Reference: "ref", Baseline: "c"}
	if err := Markdown(&b, tab, m); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"`make bench`", "nproc 2", "| pingpong tcp n=50 l=64 | req/s | 100.0 | 200.0 | 400.0 | 0.50 | 0.25 |",
		"server not ready", "90.00..300.0"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, b.String())
		}
	}
	png := filepath.Join(t.TempDir(), "c.png")
	if err := Chart(png, tab, "ref", "c", "test"); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(png); err != nil || st.Size() == 0 {
		t.Fatalf("chart: %v", err)
	}
}

func TestPairedRatiosAndVerdict(t *testing.T) {
	rep := func(server string, rep int, rate, cpu float64) loadgen.Result {
		return loadgen.Result{Server: server, Rep: rep, Mode: loadgen.PingPong, Network: "tcp", Conns: 1, Len: 64,
			Messages: 1, MsgPerSec: rate, ServerCPUusPerMs: cpu}
	}
	var rs []loadgen.Result
	// The machine slows down in rep 2: ratios within a rep stay put. The
	// control ("aa", already scaled) ranges 0.98..1.03 of ref.
	for i, scale := range []float64{1, 0.5, 1} {
		r := i + 1
		rs = append(rs, rep("ref", r, 100*scale, 10), rep("aa", r, []float64{98, 51, 103}[i], 10),
			rep("fast", r, 120*scale, 9), rep("same", r, 101*scale, 10), rep("slow", r, 80*scale, 12))
	}
	rs = append(rs, rep("fast", 4, 1, 1)) // no ref in rep 4: not paired
	tab := Aggregate(rs)
	w := tab.Workloads[0]
	cases := []struct {
		server  string
		rate    float64
		verdict string
	}{
		{"fast", 1.2, "ahead"},
		{"same", 1.01, "tie"},
		{"slow", 0.8, "behind"},
	}
	control, ok := tab.Paired(w, "aa", "ref")
	if !ok || control.Rate.N != 3 {
		t.Fatalf("control %+v %v", control, ok)
	}
	for _, c := range cases {
		p, ok := tab.Paired(w, c.server, "ref")
		if !ok || p.Rate.N != 3 || fmt.Sprintf("%.2f", p.Rate.Median) != fmt.Sprintf("%.2f", c.rate) {
			t.Errorf("%s: paired %+v %v, want median %.2f over 3 reps", c.server, p, ok, c.rate)
		}
		if v := verdict(p, ok, control, true); v != c.verdict {
			t.Errorf("%s: verdict %s, want %s", c.server, v, c.verdict)
		}
	}
	if _, ok := tab.Paired(w, "fast", "missing"); ok {
		t.Error("paired with a server that never ran")
	}
}
