package report

// Paired ratios: on a shared, noisy machine the load drifts between runs, so
// a ratio of medians mixes runs made minutes apart. Each repetition runs every
// server back to back, so the ratio of two servers within one repetition is
// measured under (nearly) the same conditions; the median of those per-rep
// ratios is the fairer comparison. The same statistic for the reference
// server against a second copy of itself (the A/A control) shows how far two
// identical servers drift apart: a ratio inside that band is a tie.

// Paired is one server against a reference over the repetitions both ran.
type Paired struct {
	Rate, CPU Stat // per-rep ratios of the headline metric and of CPU µs per message
}

// Paired returns server's per-repetition ratios to ref on w; ok is false
// when no repetition has both.
func (t *Table) Paired(w Workload, server, ref string) (Paired, bool) {
	a, b := t.runs[w][server], t.runs[w][ref]
	var rate, cpu []float64
	for rep, x := range a {
		y, found := b[rep]
		if !found || y.metric == 0 {
			continue
		}
		rate = append(rate, x.metric/y.metric)
		if y.cpuPerMsg > 0 {
			cpu = append(cpu, x.cpuPerMsg/y.cpuPerMsg)
		}
	}
	if len(rate) == 0 {
		return Paired{}, false
	}
	return Paired{Rate: stat(rate), CPU: stat(cpu)}, true
}

// run is what pairing needs of one measured run.
type run struct {
	metric, cpuPerMsg float64
}
