// Command soak runs mixed load against the server for a long time — ping-pong,
// flood, connection churn, UDP and unix datagrams, clients that never read,
// clients that half-close, and restarts over sockets held like systemd
// holds them — and checks at the end that the last server instance is flat:
// its goroutines, open fds and open connections back at their level after
// its first round, and its RSS within 20% (+4 MiB) of it. It writes a
// markdown record and exits non-zero on any mismatched byte or a leak.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/echo-activation/echo-server/bench/internal/host"
	"github.com/echo-activation/echo-server/bench/internal/record"
)

type options struct {
	server   string
	duration time.Duration
	round    time.Duration
	restarts int
	out      string
	command  string
}

func main() {
	o, err := parseFlags()
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(2)
	}
	dir, err := os.MkdirTemp("/tmp", "soak")
	if err != nil {
		fatal(err)
	}
	defer os.RemoveAll(dir)
	before := host.ReadLoad()
	if w := before.Warning(runtime.NumCPU(), 0); w != "" {
		fmt.Fprintln(os.Stderr, "soak: WARNING:", w)
	}
	rec, err := soak(o, dir)
	rec.before, rec.after = before, host.ReadLoad()
	path := record.Base(o.out, "soak") + ".md"
	if werr := os.WriteFile(path, []byte(rec.markdown(o, err)), 0o644); werr != nil {
		fatal(werr)
	}
	fmt.Println("soak: record written to", path)
	if err != nil {
		fatal(err)
	}
}

func parseFlags() (options, error) {
	var o options
	flag.StringVar(&o.server, "server", "bin/echo-server", "server binary")
	flag.DurationVar(&o.duration, "duration", 10*time.Minute, "total soak time (1m..2h)")
	flag.DurationVar(&o.round, "round", 0, "length of one round of load (5s..duration/4; default duration/6, at most 20s)")
	flag.IntVar(&o.restarts, "restarts", 2, "server restarts, spread over the first half")
	flag.StringVar(&o.out, "out", "bench/results", "directory for the markdown record")
	flag.StringVar(&o.command, "command", "make soak", "command recorded in the result")
	flag.Parse()
	if o.round == 0 {
		o.round = defaultRound(o.duration)
	}
	return o, o.check()
}

// defaultRound gives a soak of d six rounds or more: 10s at the 1m
// minimum, 20s (30 rounds) at the default 10m.
func defaultRound(d time.Duration) time.Duration {
	return min(20*time.Second, max(5*time.Second, d/6))
}

// check refuses a soak that could not do what it says: restarts in the
// first half and at least two rounds of the last instance to compare.
func (o options) check() error {
	if o.duration < time.Minute || o.duration > 2*time.Hour {
		return fmt.Errorf("-duration %v: want 1m..2h", o.duration)
	}
	if o.round < 5*time.Second || o.round > o.duration/4 {
		return fmt.Errorf("-round %v: want 5s..duration/4 (%v)", o.round, o.duration/4)
	}
	if o.restarts < 0 {
		return fmt.Errorf("-restarts %d: want 0 or more", o.restarts)
	}
	rounds := o.rounds()
	if room := (rounds/2 - 1) / o.restartEvery(); room < o.restarts {
		return fmt.Errorf("%d rounds of %v leave room for %d restarts in the first half, not %d: raise -duration or lower -round or -restarts",
			rounds, o.round, room, o.restarts)
	}
	return nil
}

func (o options) rounds() int { return int(o.duration / o.round) }

// restartEvery is the number of rounds between restarts.
func (o options) restartEvery() int { return max(1, o.rounds()/2/(o.restarts+1)) }

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "soak:", err)
	os.Exit(1)
}
