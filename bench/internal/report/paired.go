package report

// Paired ratios: on a shared, noisy machine the load drifts between runs, so
// a ratio of medians mixes runs made minutes apart. Each repetition runs every
// server back to back, so the ratio of two servers within one repetition is
// measured under (nearly) the same conditions; the median of those per-rep
// ratios is the fairer comparison. The same statistic for the reference
// server against a second copy of itself (the A/A control) shows how far two
// identical servers drift apart.
//
// The verdict is a sign test: a server is ahead of (behind) the reference
// only when it was faster (slower) in every one of at least minVerdictReps
// repetitions: with 5, a coin would do that with probability 1/32, about 3%.
// Anything else is a tie. The A/A control must come out a tie; if it does
// not, the run itself is biased.

// Paired is one server against a reference over the repetitions both ran.
type Paired struct {
	Rate, CPU    Stat // per-rep ratios of the headline metric and of CPU µs per message
	Above, Below int  // repetitions in which the rate ratio was above (below) 1
}

// minVerdictReps is the fewest paired repetitions a verdict is given on.
const minVerdictReps = 5

// Verdict is "ahead", "behind" or "tie" (see the package comment above), or
// "—" with too few repetitions.
func (p Paired) Verdict() string {
	switch n := p.Rate.N; {
	case n < minVerdictReps:
		return "—"
	case p.Above == n:
		return "ahead"
	case p.Below == n:
		return "behind"
	}
	return "tie"
}

// Paired returns server's per-repetition ratios to ref on w; ok is false
// when no repetition has both.
func (t *Table) Paired(w Workload, server, ref string) (Paired, bool) {
	a, b := t.runs[w][server], t.runs[w][ref]
	var rate, cpu []float64
	var p Paired
	for rep, x := range a {
		y, found := b[rep]
		if !found || y.metric == 0 {
			continue
		}
		r := x.metric / y.metric
		rate = append(rate, r)
		switch {
		case r > 1:
			p.Above++
		case r < 1:
			p.Below++
		}
		if y.cpuPerMsg > 0 {
			cpu = append(cpu, x.cpuPerMsg/y.cpuPerMsg)
		}
	}
	if len(rate) == 0 {
		return Paired{}, false
	}
	p.Rate, p.CPU = stat(rate), stat(cpu)
	return p, true
}

// run is what pairing needs of one measured run.
type run struct {
	metric, cpuPerMsg float64
}
