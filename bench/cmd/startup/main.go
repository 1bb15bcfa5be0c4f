// Command startup measures the server's cold start as socket activation
// sees it, with six inherited sockets (tcp4, tcp6, udp4, udp6, unix,
// unixgram): the time from exec to READY=1 on NOTIFY_SOCKET, and the time
// until a client that connected before the exec gets its echo (the kernel
// queued the connection meanwhile). It prints a markdown table and writes
// it, with the command, the machine and its load, to
// bench/results/startup-<date>-<host>[-N].md.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/echo-activation/echo-server/bench/internal/host"
	"github.com/echo-activation/echo-server/bench/internal/record"
)

type options struct {
	server, out, command string
	runs                 int
	loops                []int
}

func main() {
	o, err := parseFlags()
	if err != nil {
		fmt.Fprintln(os.Stderr, "startup:", err)
		os.Exit(2)
	}
	if os.Geteuid() != 0 {
		fatal(fmt.Errorf("needs root: it starts the server as PID 1 of a new PID namespace"))
	}
	dir, err := os.MkdirTemp("", "startup")
	if err != nil {
		fatal(err)
	}
	defer os.RemoveAll(dir)
	rec := &startRecord{options: o, before: host.ReadLoad()}
	warn(rec.before.Warning(o.usedCPUs(), 0))
	fmt.Print(tableHead)
	for _, l := range o.loops {
		sub, err := os.MkdirTemp(dir, "l") // fresh socket paths for each row
		if err != nil {
			fatal(err)
		}
		row, err := measure(o.server, l, o.runs, sub)
		if err != nil {
			fatal(err)
		}
		fmt.Print(row)
		rec.rows = append(rec.rows, row)
	}
	rec.after = host.ReadLoad()
	path := record.Base(o.out, "startup") + ".md"
	if err := os.WriteFile(path, []byte(rec.markdown()), 0o644); err != nil {
		fatal(err)
	}
	fmt.Println("startup: record written to", path)
}

func parseFlags() (options, error) {
	var o options
	var loops string
	flag.StringVar(&o.server, "server", "bin/echo-server", "server binary")
	flag.IntVar(&o.runs, "runs", 30, "starts to measure per --loops value (1..1000)")
	flag.StringVar(&loops, "loops", "1,2", "the server's --loops values, comma-separated (one table row each)")
	flag.StringVar(&o.out, "out", "bench/results", "directory for the markdown record")
	flag.StringVar(&o.command, "command", "", "command recorded in the result (default startup's own)")
	flag.Parse()
	if o.command == "" {
		o.command = strings.Join(os.Args, " ")
	}
	if o.runs < 1 || o.runs > 1000 {
		return o, fmt.Errorf("-runs %d out of 1..1000", o.runs)
	}
	for _, s := range strings.Split(loops, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 256 {
			return o, fmt.Errorf("-loops %q: want numbers in 1..256, comma-separated", loops)
		}
		o.loops = append(o.loops, n)
	}
	return o, nil
}

// usedCPUs: the server's event loops and this harness, on unpinned CPUs.
func (o options) usedCPUs() int {
	most := 0
	for _, l := range o.loops {
		most = max(most, l)
	}
	return min(most+1, runtime.NumCPU())
}

func warn(warning string) {
	if warning != "" {
		fmt.Fprintln(os.Stderr, "startup: WARNING:", warning)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "startup:", err)
	os.Exit(1)
}
