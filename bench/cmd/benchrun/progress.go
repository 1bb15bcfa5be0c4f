package main

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/echo-activation/echo-server/bench/internal/loadgen"
)

// progress prints one live line per run on stderr: rewritten in place on a
// terminal, one line each otherwise (CI logs).
type progress struct {
	total, done int
	start       time.Time
	cr          bool
}

func newProgress(total int) *progress {
	_, err := unix.IoctlGetTermios(int(os.Stderr.Fd()), unix.TCGETS)
	return &progress{total: total, start: time.Now(), cr: err == nil}
}

func (p *progress) report(c cell, r loadgen.Result) {
	p.done++
	el := time.Since(p.start)
	eta := time.Duration(float64(el) / float64(p.done) * float64(p.total-p.done)).Round(time.Second)
	status := fmt.Sprintf("%10.0f msg/s %8.1f MB/s cpu %6.2fus/msg", r.MsgPerSec, r.MBPerSec, r.ServerCPUusPerMs)
	if r.Error != "" || r.Mismatches > 0 {
		status = fmt.Sprintf("FAILED mismatches=%d %s", r.Mismatches, r.Error)
	}
	end := "\n"
	if p.cr && r.Error == "" {
		end = "\x1b[K\r"
	}
	fmt.Fprintf(os.Stderr, "[%3d/%d eta %v] rep %d %-26s %-12s %s%s",
		p.done, p.total, eta, r.Rep, c, r.Server, status, end)
}

func (p *progress) finish() {
	if p.cr {
		fmt.Fprintln(os.Stderr)
	}
	fmt.Fprintf(os.Stderr, "benchrun: %d runs in %v\n", p.done, time.Since(p.start).Round(time.Second))
}
