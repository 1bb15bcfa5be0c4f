package main

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/echo-activation/echo-server/bench/internal/host"
	"github.com/echo-activation/echo-server/bench/internal/loadgen"
)

// progress prints one live line per run on stderr: rewritten in place on a
// terminal, one line each otherwise (CI logs).
type progress struct {
	total, done int
	used        int // CPUs the runs keep busy, for the load warning
	start       time.Time
	cr          bool
}

func newProgress(total, used int) *progress {
	_, err := unix.IoctlGetTermios(int(os.Stderr.Fd()), unix.TCGETS)
	return &progress{total: total, used: used, start: time.Now(), cr: err == nil}
}

func (p *progress) report(c cell, r loadgen.Result) {
	p.done++
	el := time.Since(p.start)
	eta := time.Duration(float64(el) / float64(p.done) * float64(p.total-p.done)).Round(time.Second)
	status := fmt.Sprintf("%10.1f %-7s cpu %6.2fus/msg", r.Rate(), r.Mode.Unit(), r.ServerCPUusPerMs)
	if r.Error != "" || r.Mismatches > 0 {
		status = fmt.Sprintf("FAILED mismatches=%d %s", r.Mismatches, r.Error)
	}
	load := host.Load{Avg1: r.Load1, CPUs: r.CPUs}
	loaded := load.Warning(p.used, p.used) != ""
	end := "\n"
	if p.cr && r.Error == "" && !loaded {
		end = "\x1b[K\r"
	}
	fmt.Fprintf(os.Stderr, "[%3d/%d eta %v] rep %d %-26s %-12s %s load %.1f%s%s",
		p.done, p.total, eta, r.Rep, c, r.Server, status, r.Load1, loadedMark(loaded), end)
}

func (p *progress) finish() {
	if p.cr {
		fmt.Fprintln(os.Stderr)
	}
	fmt.Fprintf(os.Stderr, "benchrun: %d runs in %v\n", p.done, time.Since(p.start).Round(time.Second))
}

// loadedMark flags a run that other work competed with (see host.Load.Warning).
func loadedMark(loaded bool) string {
	if loaded {
		return " LOADED"
	}
	return ""
}
