package main

import (
	"fmt"
	"slices"
	"time"
)

// notMeasured marks a column a program has no event for (a hello-world
// sends no READY=1, gnet-native has no activation and never exits alone).
const notMeasured time.Duration = -1

// sample is one start of one program: the time from exec to each event.
type sample struct {
	ready, echo, exit time.Duration
}

// subject is one table row: a program and how to start it once.
type subject struct {
	name    string
	once    func() (sample, error)
	samples []sample
}

// row is the subject's table row: median (min..max) ms of each column.
func (s *subject) row() string {
	col := func(pick func(sample) time.Duration) string {
		var d []time.Duration
		for _, x := range s.samples {
			if v := pick(x); v != notMeasured {
				d = append(d, v)
			}
		}
		return summary(d)
	}
	return fmt.Sprintf("| %s | %d | %s | %s | %s |\n", s.name, len(s.samples),
		col(func(x sample) time.Duration { return x.ready }),
		col(func(x sample) time.Duration { return x.echo }),
		col(func(x sample) time.Duration { return x.exit }))
}

// median of the column pick over the subject's samples (notMeasured if none).
func (s *subject) median(pick func(sample) time.Duration) time.Duration {
	var d []time.Duration
	for _, x := range s.samples {
		if v := pick(x); v != notMeasured {
			d = append(d, v)
		}
	}
	if len(d) == 0 {
		return notMeasured
	}
	slices.Sort(d)
	return d[len(d)/2]
}

func summary(d []time.Duration) string {
	if len(d) == 0 {
		return "–"
	}
	slices.Sort(d)
	ms := func(x time.Duration) string { return fmt.Sprintf("%.2f", float64(x.Microseconds())/1000) }
	return fmt.Sprintf("%s (%s..%s)", ms(d[len(d)/2]), ms(d[0]), ms(d[len(d)-1]))
}
