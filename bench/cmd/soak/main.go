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
	"path/filepath"
	"time"
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
	var o options
	flag.StringVar(&o.server, "server", "bin/echo-server", "server binary")
	flag.DurationVar(&o.duration, "duration", 10*time.Minute, "total soak time (1m..2h)")
	flag.DurationVar(&o.round, "round", 20*time.Second, "length of one round of load")
	flag.IntVar(&o.restarts, "restarts", 2, "server restarts, spread over the first half")
	flag.StringVar(&o.out, "out", "bench/results", "directory for the markdown record")
	flag.StringVar(&o.command, "command", "make soak", "command recorded in the result")
	flag.Parse()
	if o.duration < time.Minute || o.duration > 2*time.Hour || o.round < 5*time.Second || o.round > o.duration/4 {
		fatal(fmt.Errorf("want 1m <= -duration <= 2h and 5s <= -round <= duration/4"))
	}
	dir, err := os.MkdirTemp("/tmp", "soak")
	if err != nil {
		fatal(err)
	}
	defer os.RemoveAll(dir)
	rec, err := soak(o, dir)
	path := filepath.Join(o.out, fmt.Sprintf("soak-%s-%s.md", time.Now().UTC().Format("2006-01-02"), hostname()))
	if werr := os.WriteFile(path, []byte(rec.markdown(o, err)), 0o644); werr != nil {
		fatal(werr)
	}
	fmt.Println("soak: record written to", path)
	if err != nil {
		fatal(err)
	}
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "host"
	}
	return h
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "soak:", err)
	os.Exit(1)
}
