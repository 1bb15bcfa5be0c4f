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
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/echo-activation/echo-server/bench/internal/host"
	"github.com/echo-activation/echo-server/bench/internal/loadgen"
	"github.com/echo-activation/echo-server/bench/internal/record"
)

type options struct {
	profile, out, command, names, only string
	combine                            string    // pooled .jsonl to write from the files in flag.Args()
	startLoad                          host.Load // before the first run; zero when rewriting
	machine, host, settings            string    // where and how the records were made: this machine, or the rewritten report's
	reps                               int
	seed                               uint64 // of the server order; 0 when rewriting a report (unknown)
	r                                  runner
	base                               baseline // the A/B baseline, if any
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
	base := record.Base(o.out, "")
	o.machine, o.host, o.startLoad = host.Describe(), host.Name(), host.ReadLoad()
	warnIfLoaded(o.startLoad.Warning(o.usedCPUs(), 0))
	results, err := run(o, base+".jsonl")
	exitOn(err)
	exitOn(writeReport(o, base, results))
	fmt.Fprintf(os.Stderr, "benchrun: wrote %s.{md,jsonl,png}\n", base)
	_, warning := loadSummary(o, results)
	warnIfLoaded(warning)
	exitOn(failed(results))
}

// usedCPUs is how many CPUs the runs keep busy: the server's and the load
// generator's.
func (o options) usedCPUs() int { return host.CPUs(o.r.serverCPU, o.r.loadCPU) }

func warnIfLoaded(warning string) {
	if warning != "" {
		fmt.Fprintln(os.Stderr, "benchrun: WARNING:", warning)
	}
}

func parseFlags() options {
	var o options
	flag.StringVar(&o.profile, "profile", "full", "full (the issue's matrix), quick (smoke subset) or ab (the cells an A/B of the project is judged on)")
	flag.IntVar(&o.reps, "reps", 5, "repetitions of each cell (the paired verdicts need at least 5)")
	flag.Uint64Var(&o.seed, "seed", 0, "seed of the shuffled server order (default: from the clock; the record states it)")
	flag.DurationVar(&o.r.duration, "duration", 1500*time.Millisecond, "measured time per run")
	flag.DurationVar(&o.r.warmup, "warmup", 300*time.Millisecond, "warm-up per run")
	flag.StringVar(&o.r.bins, "bins", "bench/bin", "directory of loadgen and the peer binaries")
	flag.StringVar(&o.r.project, "project", "bin/echo-server", "the server under test")
	flag.StringVar(&o.r.serverCPU, "server-cpu", "0", "taskset CPU list for servers")
	flag.StringVar(&o.r.loadCPU, "load-cpu", "1", "taskset CPU list for the load generator")
	flag.StringVar(&o.r.nice, "nice", "-10", "niceness of servers and loadgen (negative needs root; nice only warns without)")
	flag.StringVar(&o.base.path, "baseline", "", "an A/B baseline of the project (another build), run as "+baseName+" and paired with it")
	baseArgs := flag.String("baseline-args", "", "extra flags for the baseline (space separated), e.g. --confine=off with -baseline bin/echo-server")
	flag.StringVar(&o.names, "servers", "", "comma-separated servers to run (default all)")
	flag.StringVar(&o.out, "out", "bench/results", "directory for the results files")
	flag.StringVar(&o.command, "command", "", "the command line to record in the results (default benchrun's own; with -report, give the command of the run)")
	flag.StringVar(&o.only, "report", "", "only rewrite the .md and .png of this .jsonl file")
	flag.StringVar(&o.combine, "combine", "", "pool the .jsonl files given as arguments into this .jsonl (repetitions renumbered) and report it")
	flag.Parse()
	o.base.args = strings.Fields(*baseArgs)
	if o.command == "" {
		o.command = strings.Join(os.Args, " ")
	}
	return o
}

// run executes the matrix, appending each record to jsonl as it comes.
func run(o options, jsonl string) ([]loadgen.Result, error) {
	cells := fullMatrix()
	switch o.profile {
	case "quick":
		cells = quickMatrix()
	case "ab":
		cells = abMatrix()
	}
	srvs := pick(servers(o.r.project, o.base), o.names)
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
	p := newProgress(o.reps*countRuns(cells, srvs), o.usedCPUs())
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
