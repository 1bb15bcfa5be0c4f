package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/echo-activation/echo-server/bench/internal/host"
	"github.com/echo-activation/echo-server/bench/internal/loadgen"
	"github.com/echo-activation/echo-server/bench/internal/report"
)

func writeReport(o options, base string, results []loadgen.Result) error {
	t := report.Aggregate(results)
	t.PutFirst("echo-server", baseName, "gnet-native", controlName, "c", "nbio", "stdlib") // the same order, and chart colours, in every record
	spec := report.ChartSpec{Project: "echo-server", Reference: "gnet-native", Control: controlIfRun(t), Host: o.host}
	if err := report.Chart(base+".png", t, spec); err != nil {
		return err
	}
	f, err := os.Create(base + ".md")
	if err != nil {
		return err
	}
	defer f.Close()
	load, warning := loadSummary(o, results)
	return report.Markdown(f, t, report.Meta{
		Command: o.command, Machine: o.machine, Load: load, Warning: warning, Host: o.host, Date: startedAt(results),
		Settings: settings(o), Project: "echo-server", Reference: "gnet-native", Baseline: "c", Control: controlIfRun(t),
		Before: baseIfRun(t), Chart: filepath.Base(base + ".png"),
	})
}

// settings describes how the runs were made (or keeps a rewritten report's).
func settings(o options) string {
	if o.settings != "" {
		return o.settings
	}
	return fmt.Sprintf("%d runs per cell of %v measured after %v warm-up, servers in an order shuffled per repetition and cell%s; "+
		"servers pinned with taskset -c %s (GOMAXPROCS=1 for Go servers, gnet and nbio with one event loop), "+
		"loadgen with taskset -c %s (one epoll thread), both at nice %s", o.reps, o.r.duration, o.r.warmup, seedNote(o),
		o.r.serverCPU, o.r.loadCPU, o.r.nice)
}

// loadSummary states the load average before the first run and before
// each run, and warns when other work competed with the runs: before
// they started, or on the median run (whose own busy CPUs are discounted).
func loadSummary(o options, rs []loadgen.Result) (line, warning string) {
	var loads []float64
	cpus := 0
	for _, r := range rs {
		if r.CPUs > 0 {
			loads, cpus = append(loads, r.Load1), r.CPUs
		}
	}
	if len(loads) == 0 {
		return "", ""
	}
	slices.Sort(loads)
	used := o.usedCPUs()
	median := host.Load{Avg1: loads[len(loads)/2], CPUs: cpus}
	line = fmt.Sprintf("before each run median %.2f, max %.2f; %d CPUs, of which the runs keep %d busy",
		median.Avg1, loads[len(loads)-1], cpus, used)
	if o.startLoad.CPUs > 0 {
		line = fmt.Sprintf("%.2f before the first run, %s", o.startLoad.Avg1, line)
	}
	line = "1-minute load average " + line
	warning = o.startLoad.Warning(used, 0)
	if warning == "" {
		warning = median.Warning(used, used)
	}
	return line, warning
}

// seedNote states the order's seed, so the run's order can be replayed with -seed.
func seedNote(o options) string {
	if o.seed == 0 {
		return ""
	}
	return fmt.Sprintf(" (-seed %d)", o.seed)
}

// controlIfRun names the A/A control when the results include it.
func controlIfRun(t *report.Table) string {
	if slices.Contains(t.Servers, controlName) {
		return controlName
	}
	return ""
}

// rewrite reports records already made: one run's (-report) or several
// runs' pooled into a new file (-combine). The repetitions are the records'
// own, not the flag's; their order's seed is not in the records, so the
// report states none. The machine, host and (for -report) settings are
// the ones the earlier report states, not those of the machine rewriting.
func rewrite(o options) {
	path, src := o.only, o.only
	var rs []loadgen.Result
	if o.combine != "" {
		path, src, rs = o.combine, flag.Arg(0), pool(flag.Args())
		exitOn(writeJSONL(path, rs))
	} else {
		rs = readJSONL(path)
	}
	o.reps, o.seed = maxRep(rs), 0
	h := recordedHeader(strings.TrimSuffix(src, ".jsonl") + ".md")
	o.machine, o.host = h.machine, h.host
	if o.combine == "" {
		o.settings = h.settings
	}
	exitOn(writeReport(o, strings.TrimSuffix(path, ".jsonl"), rs))
}

// header is what a report's first lines say about its run.
type header struct{ machine, host, settings string }

// recordedHeader reads a report's "# Echo benchmark, DATE on HOST",
// "- Machine: ..." and "- Settings: ..." lines; this machine's when there
// is no such report.
func recordedHeader(md string) header {
	h := header{machine: host.Describe() + " (the machine of the rewrite: the records do not say theirs)", host: host.Name()}
	f, err := os.Open(md)
	if err != nil {
		return h
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.LastIndex(line, " on "); strings.HasPrefix(line, "# ") && i > 0 {
			h.host = line[i+4:]
		}
		if m, ok := strings.CutPrefix(line, "- Machine: "); ok {
			h.machine = m
		}
		if v, ok := strings.CutPrefix(line, "- Settings: "); ok {
			h.settings = v
		}
	}
	return h
}

// baseIfRun is the A/B baseline's name when it ran, else "".
func baseIfRun(t *report.Table) string {
	if slices.Contains(t.Servers, baseName) {
		return baseName
	}
	return ""
}
