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

// chartTable: p against ref, c and a control over 3 repetitions of tcp, and
// a unixgram cell only p and c serve.
func chartTable() *Table {
	var rs []loadgen.Result
	for rep := 1; rep <= 3; rep++ {
		for _, s := range []string{"p", "ref", "ref-2", "c"} {
			rs = append(rs, loadgen.Result{Server: s, Rep: rep, Mode: loadgen.PingPong, Network: "tcp", Conns: 1, Len: 64,
				Messages: 1, MsgPerSec: float64(100 * rep)})
		}
		for _, s := range []string{"p", "c"} {
			rs = append(rs, loadgen.Result{Server: s, Rep: rep, Mode: loadgen.Dgram, Network: "unixgram", Conns: 1, Len: 64,
				Messages: 1, MsgPerSec: 50})
		}
	}
	return Aggregate(rs)
}

func TestChartSeries(t *testing.T) {
	tab := chartTable()
	ss := chartSeries(tab, ChartSpec{Project: "p", Reference: "ref", Control: "ref-2"})
	var refs, colors []string
	for _, s := range ss {
		refs = append(refs, s.server+"/"+s.ref)
		colors = append(colors, fmt.Sprint(s.color))
	}
	if want := []string{"p/ref", "p/c", "ref-2/ref"}; !slices.Equal(refs, want) {
		t.Fatalf("series %v, want %v (project against each peer, then the control)", refs, want)
	}
	if slices.Sort(colors); len(slices.Compact(colors)) != len(ss) {
		t.Errorf("two series share a colour")
	}
	if d := ss[0].dots(tab, 0, len(ss)); len(d.median) != 1 || d.median[0].X != 1 {
		t.Errorf("p ÷ ref: medians %v, want one at 1", d.median)
	}
	if d := ss[1].dots(tab, 1, len(ss)); len(d.median) != 2 {
		t.Errorf("p ÷ c: medians %v, want two", d.median)
	}
	notes := []string{naNote(tab, ss, tab.Workloads[0]), naNote(tab, ss, tab.Workloads[1])}
	if want := []string{"", "n/a: ref, the A/A control\n(no unixgram server)"}; !slices.Equal(notes, want) {
		t.Errorf("n/a notes %q, want %q", notes, want)
	}
	png := filepath.Join(t.TempDir(), "c.png")
	if err := Chart(png, tab, ChartSpec{Project: "p", Reference: "ref", Control: "ref-2", Host: "test"}); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(png); err != nil || st.Size() < 10000 {
		t.Fatalf("chart: %v", err)
	}
}

func TestChartTitleSaysHowManyRuns(t *testing.T) {
	tab := chartTable()
	reps := maxReps(tab, chartSeries(tab, ChartSpec{Project: "p", Reference: "ref"}))
	if got := chartTitle(reps, ChartSpec{Project: "p"}); !strings.Contains(got, "median of 3 repetitions") {
		t.Errorf("title %q", got)
	}
	one := Aggregate([]loadgen.Result{
		{Server: "p", Rep: 1, Mode: loadgen.Flood, Network: "tcp", Messages: 1, MBPerSec: 2},
		{Server: "ref", Rep: 1, Mode: loadgen.Flood, Network: "tcp", Messages: 1, MBPerSec: 1},
	})
	got := chartTitle(maxReps(one, chartSeries(one, ChartSpec{Project: "p"})), ChartSpec{Project: "p"})
	if !strings.Contains(got, "one repetition") || strings.Contains(got, "median") {
		t.Errorf("single-run title %q", got)
	}
}

func TestTickLabel(t *testing.T) {
	for v, want := range map[float64]string{1.0 / 3: "0.33", 2.0 / 3: "0.67", 0.8: "0.8", 1: "1", 1.25: "1.25", 2: "2"} {
		if got := tickLabel(v); got != want {
			t.Errorf("tickLabel(%v) = %q, want %q", v, got, want)
		}
	}
}
