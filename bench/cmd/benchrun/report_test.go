package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/echo-activation/echo-server/bench/internal/host"
	"github.com/echo-activation/echo-server/bench/internal/loadgen"
)

func TestLoadSummary(t *testing.T) {
	runs := func(loads ...float64) []loadgen.Result {
		var rs []loadgen.Result
		for _, l := range loads {
			rs = append(rs, loadgen.Result{Load1: l, CPUs: 2})
		}
		return rs
	}
	for _, tt := range []struct {
		name  string
		start host.Load
		rs    []loadgen.Result
		line  string // a substring of the load line ("" when none is made)
		warn  string // a substring of the warning ("" when none)
	}{
		{name: "old records without loads", rs: []loadgen.Result{{}}},
		{name: "quiet", start: host.Load{Avg1: 0.2, CPUs: 2}, rs: runs(1.8, 2.1, 2.0), line: "1-minute load average 0.20 before the first run, before each run median 2.00, max 2.10; 2 CPUs, of which the runs keep 2 busy"},
		{name: "loaded before", start: host.Load{Avg1: 12, CPUs: 2}, rs: runs(2, 2, 2), line: "12.00 before", warn: "12.00 before the run on 2 CPUs, of which the run leaves 0 free"},
		{name: "loaded during", rs: runs(4, 5, 6), line: "median 5.00", warn: "5.00 during the run"},
	} {
		o := options{startLoad: tt.start, r: runner{serverCPU: "0", loadCPU: "1"}}
		line, warn := loadSummary(o, tt.rs)
		if !strings.Contains(line, tt.line) || (tt.line == "") != (line == "") {
			t.Errorf("%s: line %q, want %q", tt.name, line, tt.line)
		}
		if !strings.Contains(warn, tt.warn) || (tt.warn == "") != (warn == "") {
			t.Errorf("%s: warning %q, want %q", tt.name, warn, tt.warn)
		}
	}
}

// TestRewriteKeepsTheRecordedMachine: a report rewritten elsewhere states
// the machine and host the records were made on.
func TestRewriteKeepsTheRecordedMachine(t *testing.T) {
	md := filepath.Join(t.TempDir(), "x.md")
	head := "# Echo benchmark, 2026-11-26 22:18 UTC on vm\n\n- Command: `make bench`\n- Machine: nproc 2, CPU AMD EPYC\n" +
		"- Settings: 5 runs per cell (-seed 7)\n"
	if err := os.WriteFile(md, []byte(head), 0o644); err != nil {
		t.Fatal(err)
	}
	want := header{machine: "nproc 2, CPU AMD EPYC", host: "vm", settings: "5 runs per cell (-seed 7)"}
	if h := recordedHeader(md); h != want {
		t.Errorf("recorded %+v, want %+v", h, want)
	}
	if h := recordedHeader(md + ".missing"); !strings.Contains(h.machine, "the records do not say") || h.settings != "" {
		t.Errorf("without a report: %+v", h)
	}
}
