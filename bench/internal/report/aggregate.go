// Package report turns the load generator's raw records (JSON lines) into
// the human record: medians with their spread, ratios to the reference
// servers, paired per-repetition ratios with sign-test verdicts (paired.go),
// server cost, as a markdown file and a PNG chart.
package report

import (
	"fmt"
	"slices"

	"github.com/echo-activation/echo-server/bench/internal/loadgen"
)

// Workload identifies one cell of the matrix.
type Workload struct {
	Mode    loadgen.Mode
	Network string
	Conns   int
	Len     int
}

func (w Workload) String() string {
	return fmt.Sprintf("%s %s n=%d l=%d", w.Mode, w.Network, w.Conns, w.Len)
}

// Unit names the headline metric of a workload.
func (w Workload) Unit() string { return w.Mode.Unit() }

// Stat is the median and spread of one number over repeated runs.
type Stat struct {
	Median, Min, Max float64
	N                int
}

func stat(xs []float64) Stat {
	if len(xs) == 0 {
		return Stat{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return Stat{Median: m, Min: s[0], Max: s[len(s)-1], N: len(s)}
}

// Agg sums up the runs of one server on one workload. Runs that failed to
// happen (Error set, nothing measured) count in Failed only.
type Agg struct {
	Metric                           Stat
	P50, P99, P999                   float64 // medians, µs
	CPUPerMsg                        float64 // median server CPU µs per message
	CPUPct                           float64 // median server CPU use, % of one core
	PeakRSSKB                        int64   // largest VmHWM
	Mismatches, Errors, Losses, Late uint64  // sums over the runs
	Failed                           int
	Notes                            []string // errors and unclean server exits
}

// Table is every Agg by workload and server, in first-seen order.
type Table struct {
	Workloads []Workload
	Servers   []string
	cells     map[Workload]map[string]*Agg
	runs      map[Workload]map[string]map[int]run // measured runs by repetition, for Paired
}

// Get returns the aggregate for w and server, or nil.
func (t *Table) Get(w Workload, server string) *Agg { return t.cells[w][server] }

// Aggregate groups results by workload and server.
func Aggregate(results []loadgen.Result) *Table {
	t := &Table{cells: map[Workload]map[string]*Agg{}, runs: map[Workload]map[string]map[int]run{}}
	raw := map[Workload]map[string][]loadgen.Result{}
	for _, r := range results {
		w := Workload{r.Mode, r.Network, r.Conns, r.Len}
		if raw[w] == nil {
			raw[w] = map[string][]loadgen.Result{}
			t.Workloads = append(t.Workloads, w)
		}
		if !slices.Contains(t.Servers, r.Server) {
			t.Servers = append(t.Servers, r.Server)
		}
		raw[w][r.Server] = append(raw[w][r.Server], r)
	}
	for w, bySrv := range raw {
		t.cells[w] = map[string]*Agg{}
		t.runs[w] = map[string]map[int]run{}
		for s, rs := range bySrv {
			t.cells[w][s] = aggregate(w, rs)
			t.runs[w][s] = map[int]run{}
			for _, r := range rs {
				if r.Messages > 0 {
					t.runs[w][s][r.Rep] = run{r.Rate(), r.ServerCPUusPerMs}
				}
			}
		}
	}
	return t
}

func aggregate(w Workload, rs []loadgen.Result) *Agg {
	a := &Agg{}
	var m, p50, p99, p999, cpu, pct []float64
	for _, r := range rs {
		a.Mismatches += r.Mismatches
		a.Errors += r.Errors
		a.Losses += r.Losses
		a.Late += r.Late
		a.PeakRSSKB = max(a.PeakRSSKB, r.ServerPeakRSSKB)
		if r.Error != "" {
			a.Notes = append(a.Notes, fmt.Sprintf("rep %d: %s", r.Rep, r.Error))
		}
		if r.ServerExit != "" && r.ServerExit != "0" {
			a.Notes = append(a.Notes, fmt.Sprintf("rep %d: server exit on SIGTERM: %s", r.Rep, r.ServerExit))
		}
		if r.Messages == 0 {
			a.Failed++
			continue
		}
		m = append(m, r.Rate())
		p50, p99, p999 = append(p50, r.P50us), append(p99, r.P99us), append(p999, r.P999us)
		cpu = append(cpu, r.ServerCPUusPerMs)
		if r.Seconds > 0 {
			pct = append(pct, r.ServerCPUus/r.Seconds/1e4)
		}
	}
	a.Metric = stat(m)
	a.P50, a.P99, a.P999 = stat(p50).Median, stat(p99).Median, stat(p999).Median
	a.CPUPerMsg, a.CPUPct = stat(cpu).Median, stat(pct).Median
	return a
}

// Ratio is server's median over ref's median on w; ok is false when either
// is missing.
func (t *Table) Ratio(w Workload, server, ref string) (float64, bool) {
	a, b := t.Get(w, server), t.Get(w, ref)
	if a == nil || b == nil || a.Metric.N == 0 || b.Metric.N == 0 || b.Metric.Median == 0 {
		return 0, false
	}
	return a.Metric.Median / b.Metric.Median, true
}

// PutFirst moves the named servers to the front of t.Servers, in the order
// given (the runs themselves come in a shuffled order); the rest keep theirs.
func (t *Table) PutFirst(names ...string) {
	var front, rest []string
	for _, n := range names {
		if slices.Contains(t.Servers, n) {
			front = append(front, n)
		}
	}
	for _, s := range t.Servers {
		if !slices.Contains(front, s) {
			rest = append(rest, s)
		}
	}
	t.Servers = append(front, rest...)
}
