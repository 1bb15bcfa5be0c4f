package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/echo-activation/echo-server/bench/internal/host"
	"github.com/echo-activation/echo-server/engine/echotest"
)

// row is one round: its load and the server's gauges once it settled.
type row struct {
	instance int
	load     roundResult
	g        gauges
}

type soakRecord struct {
	rows          []row
	started       time.Time
	before, after host.Load
}

// soak runs the rounds, restarting the server at evenly spread rounds in
// the first half, and checks the last instance for leaks.
func soak(o options, dir string) (*soakRecord, error) {
	rec := &soakRecord{started: time.Now()}
	var socks []echotest.Socket
	for _, n := range []string{"tcp4", "udp4", "unix", "unixgram", "metrics"} {
		network := n
		if n == "metrics" {
			network = "tcp4"
		}
		s, err := echotest.Listen(n, network, dir)
		if err != nil {
			return rec, err
		}
		socks = append(socks, s)
	}
	rounds, restartEvery := o.rounds(), o.restartEvery()
	in, err := startServer(o.server, socks, 1)
	if err != nil {
		return rec, err
	}
	for r := 1; r <= rounds; r++ {
		if r > 1 && r <= rounds/2 && (r-1)%restartEvery == 0 && in.n <= o.restarts {
			if err := in.stop(); err != nil {
				return rec, err
			}
			if in, err = startServer(o.server, socks, in.n+1); err != nil {
				return rec, err
			}
		}
		load, err := runRound(socks, o.round)
		if err != nil {
			_ = in.stop()
			return rec, fmt.Errorf("round %d: %w", r, err)
		}
		time.Sleep(time.Second) // closed connections leave the server
		g, err := scrape(socks[4].Addr)
		if err != nil {
			_ = in.stop()
			return rec, fmt.Errorf("round %d: metrics: %w", r, err)
		}
		rec.rows = append(rec.rows, row{instance: in.n, load: load, g: g})
		fmt.Printf("soak: round %d/%d instance %d: %d msgs, %d mismatched, goroutines %d, fds %d, open %d, RSS %.1f MiB\n",
			r, rounds, in.n, load.messages, load.mismatches, g.goroutines, g.fds, g.openConns, g.rssMiB)
		if load.mismatches > 0 || load.halfCloseBad > 0 {
			_ = in.stop()
			return rec, fmt.Errorf("round %d: %d mismatched bytes, %d half-close clients short", r, load.mismatches, load.halfCloseBad)
		}
	}
	if err := in.stop(); err != nil {
		return rec, err
	}
	return rec, rec.flat()
}

// flat compares the last instance's last round with its first.
func (rec *soakRecord) flat() error {
	last := rec.rows[len(rec.rows)-1]
	var first *row
	for i := range rec.rows {
		if rec.rows[i].instance == last.instance {
			first = &rec.rows[i]
			break
		}
	}
	var errs []error
	if last.g.goroutines > first.g.goroutines {
		errs = append(errs, fmt.Errorf("goroutines grew from %d to %d", first.g.goroutines, last.g.goroutines))
	}
	if last.g.fds > first.g.fds {
		errs = append(errs, fmt.Errorf("open fds grew from %d to %d", first.g.fds, last.g.fds))
	}
	if last.g.openConns != 0 {
		errs = append(errs, fmt.Errorf("%d connections still open after the load stopped", last.g.openConns))
	}
	if last.g.rssMiB > first.g.rssMiB*1.2+4 {
		errs = append(errs, fmt.Errorf("RSS grew from %.1f to %.1f MiB", first.g.rssMiB, last.g.rssMiB))
	}
	return errors.Join(errs...)
}

func (rec *soakRecord) markdown(o options, err error) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Soak, %s UTC on %s\n\n", rec.started.UTC().Format("2006-01-02 15:04"), host.Name())
	fmt.Fprintf(&b, "- Command: `%s` (`bench/bin/soak -duration %v -round %v -restarts %d`)\n", o.command, o.duration, o.round, o.restarts)
	fmt.Fprintf(&b, "- Machine: %s\n", host.Describe())
	fmt.Fprintf(&b, "- Load: 1-minute load average %.2f before, %.2f after, on %d CPUs (the server and the load share them all)\n",
		rec.before.Avg1, rec.after.Avg1, rec.before.CPUs)
	if w := rec.before.Warning(rec.before.CPUs, 0); w != "" {
		fmt.Fprintf(&b, "- **Warning: %s.**\n", w)
	}
	fmt.Fprintf(&b, "- Each round, at once: loadgen pingpong tcp n=50 l=512, flood tcp n=8 l=4096, connrate tcp n=8, "+
		"udp n=16 l=256, pingpong unix n=8 l=64, unixgram n=4 l=128; 20 tcp clients pushing 1 MiB writes that never read; "+
		"then 10 half-closing clients (256 KiB each). Server: `--loops 2 --drain-timeout 2s --idle-timeout 5s`, "+
		"restarted over the same held sockets. Gauges from its metrics socket 1 s after each round.\n")
	verdict := "PASS: the last instance is flat (goroutines, fds, open connections back to their first-round level; RSS within 20% + 4 MiB)"
	if err != nil {
		verdict = "FAIL: " + err.Error()
	}
	fmt.Fprintf(&b, "- Result: **%s**\n\n", verdict)
	b.WriteString("| round | instance | messages | mismatched | errors | datagram losses | never-read clients | half-close ok | goroutines | open fds | open conns | RSS MiB |\n")
	b.WriteString("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for i, r := range rec.rows {
		fmt.Fprintf(&b, "| %d | %d | %d | %d | %d | %d | %d | %d/%d | %d | %d | %d | %.1f |\n", i+1, r.instance,
			r.load.messages, r.load.mismatches, r.load.errors, r.load.losses, r.load.abusers,
			r.load.halfCloseOK, r.load.halfCloseOK+r.load.halfCloseBad, r.g.goroutines, r.g.fds, r.g.openConns, r.g.rssMiB)
	}
	return b.String()
}
