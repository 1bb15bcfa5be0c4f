package report

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
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
	if tab.PutFirst("c", "missing", "ref"); !slices.Equal(tab.Servers, []string{"c", "ref", "p"}) {
		t.Fatalf("PutFirst: %v", tab.Servers)
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
	if err := Chart(png, tab, ChartSpec{Project: "p", Reference: "ref", Host: "test"}); err != nil {
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
	// Rates relative to ref in each of 5 repetitions; the machine is twice
	// as slow in rep 2, which pairing must not see.
	rel := map[string][]float64{
		"fast":  {1.2, 1.1, 1.3, 1.05, 1.2},
		"same":  {1.1, 0.9, 1.0, 1.02, 0.97},
		"slow":  {0.8, 0.9, 0.7, 0.95, 0.85},
		"short": {0.5, 0.5, 0.5, 0.5}, // only 4 repetitions
	}
	var rs []loadgen.Result
	for r := 1; r <= 5; r++ {
		scale := 100.0
		if r == 2 {
			scale = 50
		}
		rs = append(rs, rep("ref", r, scale, 10))
		for s, xs := range rel {
			if r <= len(xs) {
				rs = append(rs, rep(s, r, xs[r-1]*scale, 10/xs[r-1]))
			}
		}
	}
	rs = append(rs, rep("fast", 6, 1, 1)) // no ref in rep 6: not paired
	tab := Aggregate(rs)
	w := tab.Workloads[0]
	cases := []struct {
		server        string
		median, cpu   float64
		n             int
		verdict, spec string
	}{
		{"fast", 1.2, 1 / 1.2, 5, "ahead", "1.20 [1.05..1.30]"},
		{"same", 1.0, 1, 5, "tie", "1.00 [0.90..1.10]"},
		{"slow", 0.85, 1 / 0.85, 5, "behind", "0.85 [0.70..0.95]"},
		{"short", 0.5, 2, 4, "—", "0.50 [0.50..0.50]"},
	}
	for _, c := range cases {
		p, ok := tab.Paired(w, c.server, "ref")
		if !ok || p.Rate.N != c.n || span(p.Rate) != c.spec || fmt.Sprintf("%.3f", p.CPU.Median) != fmt.Sprintf("%.3f", c.cpu) {
			t.Errorf("%s: paired %+v %v, want %s over %d reps, CPU ratio %.3f", c.server, p, ok, c.spec, c.n, c.cpu)
		}
		if v := p.Verdict(); v != c.verdict {
			t.Errorf("%s: verdict %s, want %s", c.server, v, c.verdict)
		}
	}
	if _, ok := tab.Paired(w, "fast", "missing"); ok {
		t.Error("paired with a server that never ran")
	}
}

func TestSignTestVerdicts(t *testing.T) {
	cases := []struct {
		n, above, below int
		want            string
	}{
		{5, 5, 0, "ahead"},
		{5, 4, 1, "tie"},
		{5, 0, 5, "behind"},
		{15, 12, 3, "ahead"}, // P(X >= 12) = 0.018
		{15, 11, 4, "tie"},   // P(X >= 11) = 0.059
		{15, 2, 13, "behind"},
		{15, 7, 7, "tie"}, // one rep exactly 1.00
		{4, 4, 0, "—"},
	}
	for _, c := range cases {
		p := Paired{Rate: Stat{N: c.n}, Above: c.above, Below: c.below}
		if got := p.Verdict(); got != c.want {
			t.Errorf("n=%d above=%d below=%d: %s, want %s", c.n, c.above, c.below, got, c.want)
		}
	}
	if got := signTail(5, 5); got != 1.0/32 {
		t.Errorf("signTail(5,5) = %v", got)
	}
	if got := signTail(15, 0); got != 1 {
		t.Errorf("signTail(15,0) = %v", got)
	}
}
