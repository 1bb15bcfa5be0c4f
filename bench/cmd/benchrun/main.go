// Command benchrun runs the side-by-side benchmark: for each repetition,
// each workload of the matrix and each server (in an order shuffled per repetition and cell), it
// starts the server pinned to one core, drives it with loadgen pinned to
// the other, and stops it. Raw records go to a JSON lines file as they
// come; at the end it writes the markdown record and a PNG chart.
//
//	benchrun -profile full -out bench/results -command "make bench"
//	benchrun -report bench/results/X.jsonl   (rewrite X.md and X.png only)
//	benchrun -combine P.jsonl A.jsonl B.jsonl (pool runs: write P.jsonl, P.md, P.png)
//
// It exits 1 if any run echoed a wrong byte or could not be made.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/echo-activation/echo-server/bench/internal/loadgen"
	"github.com/echo-activation/echo-server/bench/internal/report"
)

type options struct {
	profile, out, command, names, only string
	combine                            string // pooled .jsonl to write from the files in flag.Args()
	loadStart, loadEnd                 string // load averages around the run
	reps                               int
	seed                               uint64 // of the server order; 0 when rewriting a report (unknown)
	r                                  runner
}

func main() {
	o := parseFlags()
	if o.combine != "" || o.only != "" {
		rewrite(o)
		return
	}
	if o.seed == 0 {
		o.seed = uint64(time.Now().UnixNano())
	}
	base := freeBase(filepath.Join(o.out, time.Now().Format("2006-01-02")+"-"+hostname()))
	o.loadStart = loadavg()
	results, err := run(o, base+".jsonl")
	exitOn(err)
	o.loadEnd = loadavg()
	exitOn(writeReport(o, base, results))
	fmt.Fprintf(os.Stderr, "benchrun: wrote %s.{md,jsonl,png}\n", base)
	exitOn(failed(results))
}

func parseFlags() options {
	var o options
	flag.StringVar(&o.profile, "profile", "full", "full (the issue's matrix) or quick (smoke subset)")
	flag.IntVar(&o.reps, "reps", 5, "repetitions of each cell (the paired verdicts need at least 5)")
	flag.Uint64Var(&o.seed, "seed", 0, "seed of the shuffled server order (default: from the clock; the record states it)")
	flag.DurationVar(&o.r.duration, "duration", 1500*time.Millisecond, "measured time per run")
	flag.DurationVar(&o.r.warmup, "warmup", 300*time.Millisecond, "warm-up per run")
	flag.StringVar(&o.r.bins, "bins", "bench/bin", "directory of loadgen and the peer binaries")
	flag.StringVar(&o.r.project, "project", "bin/echo-server", "the server under test")
	flag.StringVar(&o.r.serverCPU, "server-cpu", "0", "taskset CPU list for servers")
	flag.StringVar(&o.r.loadCPU, "load-cpu", "1", "taskset CPU list for the load generator")
	flag.StringVar(&o.r.nice, "nice", "-10", "niceness of servers and loadgen (negative needs root; nice only warns without)")
	flag.StringVar(&o.names, "servers", "", "comma-separated servers to run (default all)")
	flag.StringVar(&o.out, "out", "bench/results", "directory for the results files")
	flag.StringVar(&o.command, "command", "", "the command line to record in the results (default benchrun's own; with -report, give the command of the run)")
	flag.StringVar(&o.only, "report", "", "only rewrite the .md and .png of this .jsonl file")
	flag.StringVar(&o.combine, "combine", "", "pool the .jsonl files given as arguments into this .jsonl (repetitions renumbered) and report it")
	flag.Parse()
	if o.command == "" {
		o.command = strings.Join(os.Args, " ")
	}
	return o
}

// rewrite reports records already made: one run's (-report) or several
// runs' pooled into a new file (-combine). The repetitions are the records'
// own, not the flag's; their order's seed is not in the records, so the
// report states none.
func rewrite(o options) {
	path := o.only
	var rs []loadgen.Result
	if o.combine != "" {
		path, rs = o.combine, pool(flag.Args())
		exitOn(writeJSONL(path, rs))
	} else {
		rs = readJSONL(path)
	}
	o.reps, o.seed = maxRep(rs), 0
	exitOn(writeReport(o, strings.TrimSuffix(path, ".jsonl"), rs))
}

// run executes the matrix, appending each record to jsonl as it comes.
func run(o options, jsonl string) ([]loadgen.Result, error) {
	cells := fullMatrix()
	if o.profile == "quick" {
		cells = quickMatrix()
	}
	srvs := pick(servers(o.r.project), o.names)
	if err := preflight(o, srvs); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "benchrun")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	o.r.tmp = tmp
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return nil, err
	}
	f, err := os.Create(jsonl)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p := newProgress(o.reps * countRuns(cells, srvs))
	var all []loadgen.Result
	for rep := 1; rep <= o.reps; rep++ {
		for ci, c := range cells {
			for _, s := range order(srvs, o.seed, rep, ci) {
				if !s.serves(c.Network) {
					continue
				}
				res := o.r.one(s, c, rep)
				p.report(c, res)
				all = append(all, res)
				line, _ := json.Marshal(res)
				if _, err := fmt.Fprintf(f, "%s\n", line); err != nil {
					return all, err
				}
			}
		}
	}
	p.finish()
	return all, nil
}

func countRuns(cells []cell, srvs []server) int {
	n := 0
	for _, c := range cells {
		for _, s := range srvs {
			if s.serves(c.Network) {
				n++
			}
		}
	}
	return n
}

// preflight checks the tools and binaries before minutes of running.
func preflight(o options, srvs []server) error {
	if len(srvs) == 0 {
		return fmt.Errorf("benchrun: no server matches -servers %q", o.names)
	}
	need := []string{"nice", "taskset", filepath.Join(o.r.bins, "loadgen")}
	for _, s := range srvs {
		need = append(need, s.argv(o.r.bins, "tcp", "x")[0])
	}
	for _, n := range need {
		if _, err := exec.LookPath(n); err != nil {
			return fmt.Errorf("benchrun: %w (run make bench-setup, and make build for the project)", err)
		}
	}
	return nil
}

func writeReport(o options, base string, results []loadgen.Result) error {
	t := report.Aggregate(results)
	t.PutFirst("echo-server", "gnet-native", controlName, "c")
	title := "Echo throughput relative to gnet-native (top) and to the C peers (bottom), median of runs, " + hostname()
	if err := report.Chart(base+".png", t, "gnet-native", "c", title); err != nil {
		return err
	}
	f, err := os.Create(base + ".md")
	if err != nil {
		return err
	}
	defer f.Close()
	return report.Markdown(f, t, report.Meta{
		Command: o.command, Machine: machine() + loadNote(o), Host: hostname(), Date: startedAt(results),
		Settings: fmt.Sprintf("%d runs per cell of %v measured after %v warm-up, servers in an order shuffled per repetition and cell%s; "+
			"servers pinned with taskset -c %s (GOMAXPROCS=1 for Go servers, gnet and nbio with one event loop), "+
			"loadgen with taskset -c %s (one epoll thread), both at nice %s", o.reps, o.r.duration, o.r.warmup, seedNote(o),
			o.r.serverCPU, o.r.loadCPU, o.r.nice),
		Project: "echo-server", Reference: "gnet-native", Baseline: "c", Control: controlIfRun(t), Chart: filepath.Base(base + ".png"),
	})
}

// seedNote states the order's seed, so the run's order can be replayed with -seed.
func seedNote(o options) string {
	if o.seed == 0 {
		return ""
	}
	return fmt.Sprintf(" (-seed %d)", o.seed)
}

// freeBase returns base, or base-2, base-3, ... if a record by that name
// exists already, so a second run on the same day does not overwrite the first.
func freeBase(base string) string {
	for i := 1; ; i++ {
		b := base
		if i > 1 {
			b = fmt.Sprintf("%s-%d", base, i)
		}
		if _, err := os.Stat(b + ".jsonl"); os.IsNotExist(err) {
			return b
		}
	}
}

// pool reads several runs' records and numbers their repetitions on from
// one file to the next, so that pairing stays within each original repetition.
func pool(files []string) []loadgen.Result {
	var all []loadgen.Result
	offset := 0
	for _, f := range files {
		rs := readJSONL(f)
		for i := range rs {
			rs[i].Rep += offset
		}
		offset = max(offset, maxRep(rs))
		all = append(all, rs...)
	}
	return all
}

func writeJSONL(path string, rs []loadgen.Result) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	for _, r := range rs {
		if err := enc.Encode(r); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

// maxRep is the number of repetitions in a set of results.
func maxRep(rs []loadgen.Result) int {
	n := 0
	for _, r := range rs {
		n = max(n, r.Rep)
	}
	return n
}

// startedAt is when the first run of rs started (now if none has a time),
// so a rewritten report keeps the date of its run.
func startedAt(rs []loadgen.Result) time.Time {
	var t time.Time
	for _, r := range rs {
		if !r.Started.IsZero() && (t.IsZero() || r.Started.Before(t)) {
			t = r.Started
		}
	}
	if t.IsZero() {
		return time.Now()
	}
	return t
}

// controlIfRun names the A/A control when the results include it.
func controlIfRun(t *report.Table) string {
	if slices.Contains(t.Servers, controlName) {
		return controlName
	}
	return ""
}

func loadNote(o options) string {
	if o.loadStart == "" {
		return ""
	}
	return fmt.Sprintf("; load average %s before the run, %s after", o.loadStart, o.loadEnd)
}

func readJSONL(path string) []loadgen.Result {
	f, err := os.Open(path)
	exitOn(err)
	defer f.Close()
	var rs []loadgen.Result
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r loadgen.Result
		exitOn(json.Unmarshal(sc.Bytes(), &r))
		rs = append(rs, r)
	}
	exitOn(sc.Err())
	return rs
}

// failed is an error if any run mismatched or could not be made.
func failed(rs []loadgen.Result) error {
	bad := 0
	for _, r := range rs {
		if r.Mismatches > 0 || r.Error != "" {
			bad++
		}
	}
	if bad > 0 {
		return fmt.Errorf("benchrun: %d of %d runs failed (see Failures in the .md)", bad, len(rs))
	}
	return nil
}

func exitOn(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
