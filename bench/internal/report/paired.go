package report

import "math"

// Paired ratios: on a shared, noisy machine the load drifts between runs, so
// a ratio of medians mixes runs made minutes apart. Each repetition runs every
// server back to back, so the ratio of two servers within one repetition is
// measured under (nearly) the same conditions; the median of those per-rep
// ratios is the fairer comparison. The same statistic for the reference
// server against a second copy of itself (the A/A control) shows how far two
// identical servers drift apart.
//
// The verdict is a one-sided sign test: a server is ahead of (behind) the
// reference only when a fair coin would come up "faster" ("slower") at least
// as often as it did with probability at most 1/32 — with 5 repetitions that
// means all 5, with 15 (three runs pooled) 12 or more. Anything else is a
// tie. At that level about one call in 32 is a fluke, so a report of ~40
// comparisons may hold one: a call counts when it repeats across runs or
// holds in the pooled report. The A/A control must come out a tie; if it
// does not, the run itself is biased.

// Paired is one server against a reference over the repetitions both ran.
type Paired struct {
	Rate, CPU    Stat // per-rep ratios of the headline metric and of CPU µs per message
	Above, Below int  // repetitions in which the rate ratio was above (below) 1
}

// minVerdictReps is the fewest paired repetitions a verdict is given on.
const minVerdictReps = 5

// Verdict is "ahead", "behind" or "tie" (see the top of this file), or
// "—" with too few repetitions.
func (p Paired) Verdict() string {
	switch n := p.Rate.N; {
	case n < minVerdictReps:
		return "—"
	case signTail(n, p.Above) <= verdictLevel:
		return "ahead"
	case signTail(n, p.Below) <= verdictLevel:
		return "behind"
	}
	return "tie"
}

// verdictLevel is the largest sign-test tail that still makes a call: the
// chance of 5 heads in 5 tosses.
const verdictLevel = 1.0 / 32

// signTail is the probability that a fair coin tossed n times comes up heads
// k or more times.
func signTail(n, k int) float64 {
	var tail, choose float64 = 0, 1 // choose = C(n, i), starting at i = 0
	for i := 0; i <= n; i++ {
		if i >= k {
			tail += choose
		}
		choose = choose * float64(n-i) / float64(i+1)
	}
	return tail / math.Pow(2, float64(n))
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
