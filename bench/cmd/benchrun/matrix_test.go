package main

import (
	"slices"
	"testing"
)

func TestMatrixCoversTheIssue(t *testing.T) {
	cells := fullMatrix()
	if len(cells) != 15 {
		t.Fatalf("full matrix has %d cells, want 15", len(cells))
	}
	all := servers("bin/echo-server", baseline{})
	if n := countRuns(cells, all); n != 87 {
		t.Fatalf("%d runs per repetition, want 87 (6 servers × 15 cells; the two gnets and nbio lack unixgram)", n)
	}
	if n := countRuns(quickMatrix(), pick(all, "echo-server,c")); n != 12 {
		t.Fatalf("quick runs for two servers: %d", n)
	}
}

func TestOrderShufflesReproducibly(t *testing.T) {
	all := servers("p", baseline{})
	firsts := map[string]bool{}
	predecessors := map[string]bool{} // who runs right before gnet-native-2
	for rep := 1; rep <= 5; rep++ {
		for cell := range 14 {
			o := order(all, 7, rep, cell)
			if len(o) != len(all) || !slices.EqualFunc(o, order(all, 7, rep, cell), func(a, b server) bool { return a.Name == b.Name }) {
				t.Fatalf("rep %d cell %d: order not reproducible or lost servers", rep, cell)
			}
			names := map[string]bool{}
			for i, s := range o {
				names[s.Name] = true
				if s.Name == controlName && i > 0 {
					predecessors[o[i-1].Name] = true
				}
			}
			if len(names) != len(all) {
				t.Fatalf("rep %d cell %d: %d distinct servers", rep, cell, len(names))
			}
			firsts[o[0].Name] = true
		}
	}
	if len(firsts) < len(all) || len(predecessors) < 3 {
		t.Fatalf("order barely varies: first servers %v, control's predecessors %v", firsts, predecessors)
	}
}
