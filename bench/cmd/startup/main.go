// Command startup measures the server's cold start as socket activation
// sees it, with six inherited sockets (tcp4, tcp6, udp4, udp6, unix,
// unixgram): the time from exec to READY=1 on NOTIFY_SOCKET, and the time
// until a client that connected before the exec gets its echo (the kernel
// queued the connection meanwhile). It prints a markdown table and writes
// it, with the command, the machine and its load, to
// bench/results/startup-<date>-<host>[-N].md.
//
// In the same run, start by start in turn with the project, it times three
// references started the same way (PID 1 of a new PID namespace): a
// hello-world Go binary from exec to exit; the floor, a program importing
// every package the server's main package imports with a main that
// returns at once, from exec to exit (what the server's binary costs
// before its main runs); and gnet-native (bench/peers) from exec to its
// first echo, all built by the tool in a temporary directory with the
// flags of the project's `make build`.
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
	goTool, benchDir     string
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
	subs, cleanup, err := subjects(o, dir)
	if err != nil {
		fatal(err)
	}
	defer cleanup()
	rec := &startRecord{options: o, before: host.ReadLoad()}
	warn(rec.before.Warning(o.usedCPUs(), 0))
	for range o.runs { // in turn, so that the machine's load falls on every row alike
		for _, sub := range subs {
			x, err := sub.once()
			if err != nil {
				fatal(fmt.Errorf("%s: %w", sub.name, err))
			}
			sub.samples = append(sub.samples, x)
		}
	}
	rec.subjects = subs
	fmt.Print(rec.table())
	rec.after = host.ReadLoad()
	path := record.Base(o.out, "startup") + ".md"
	if err := os.WriteFile(path, []byte(rec.markdown()), 0o644); err != nil {
		fatal(err)
	}
	fmt.Println("startup: record written to", path)
}

// subjects are the table's rows: each server once per --loops value, the
// hello-world, the floor (the server's imports, an empty main) and
// gnet-native.
func subjects(o options, dir string) ([]*subject, func(), error) {
	var subs []*subject
	var cleanups []func()
	cleanup := func() {
		for _, c := range cleanups {
			c()
		}
	}
	for _, server := range strings.Split(o.server, ",") {
		for _, l := range o.loops {
			sub, err := os.MkdirTemp(dir, "l") // fresh socket paths for each row
			if err != nil {
				cleanup()
				return nil, nil, err
			}
			s, c, err := projectSubject(server, l, sub)
			if err != nil {
				cleanup()
				return nil, nil, err
			}
			subs, cleanups = append(subs, s), append(cleanups, c)
		}
	}
	hello, err := buildHello(o.goTool, dir)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	peer, err := buildPeer(o.goTool, o.benchDir, dir)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	floor, err := buildFloor(o.goTool, o.benchDir, dir)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	subs = append(subs,
		&subject{name: "hello-world (Go)", once: func() (sample, error) { return exitOnce("hello-world", hello) }},
		&subject{name: floorName, once: func() (sample, error) { return exitOnce("floor", floor) }},
		&subject{name: "gnet-native", once: func() (sample, error) { return gnetOnce(peer) }})
	return subs, cleanup, nil
}

func parseFlags() (options, error) {
	var o options
	var loops string
	flag.StringVar(&o.server, "server", "bin/echo-server", "server binary; several, comma-separated, alternate start by start (an A/B of builds with distinct file names)")
	flag.IntVar(&o.runs, "runs", 30, "starts to measure per --loops value (1..1000)")
	flag.StringVar(&loops, "loops", "1,2", "the server's --loops values, comma-separated (one table row each)")
	flag.StringVar(&o.out, "out", "bench/results", "directory for the markdown record")
	flag.StringVar(&o.command, "command", "", "command recorded in the result (default startup's own)")
	flag.StringVar(&o.goTool, "go", "go", "go command that builds the hello-world and gnet-native")
	flag.StringVar(&o.benchDir, "bench", "bench", "the bench module's directory (gnet-native's source)")
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
