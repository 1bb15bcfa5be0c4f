package main

import (
	"path/filepath"
	"testing"

	"github.com/echo-activation/echo-server/bench/internal/loadgen"
)

func TestPoolRenumbersRepetitions(t *testing.T) {
	dir := t.TempDir()
	run := func(name string, reps int) string {
		var rs []loadgen.Result
		for r := 1; r <= reps; r++ {
			rs = append(rs, loadgen.Result{Server: "a", Rep: r}, loadgen.Result{Server: "b", Rep: r})
		}
		p := filepath.Join(dir, name)
		if err := writeJSONL(p, rs); err != nil {
			t.Fatal(err)
		}
		return p
	}
	rs := pool([]string{run("1.jsonl", 5), run("2.jsonl", 3)})
	if len(rs) != 16 || maxRep(rs) != 8 {
		t.Fatalf("%d records, max rep %d; want 16 and 8", len(rs), maxRep(rs))
	}
	seen := map[int]int{}
	for _, r := range rs {
		seen[r.Rep]++
	}
	for rep := 1; rep <= 8; rep++ {
		if seen[rep] != 2 {
			t.Errorf("rep %d has %d records, want one per server", rep, seen[rep])
		}
	}
}
