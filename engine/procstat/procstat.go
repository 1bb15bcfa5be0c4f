// Package procstat reads a process's CPU time and resident memory from
// /proc: the one /proc reader of the tests and the benchmarks, which
// attribute cost (CPU, RSS) to the server under test.
package procstat

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// ClockTick is the kernel's USER_HZ: /proc/PID/stat counts CPU time in
// these units. It is 100 on every Linux architecture Go supports.
const ClockTick = 10 * time.Millisecond

// CPU returns the user+system CPU time that process pid (all its threads,
// live and exited) has used so far, from fields 14 and 15 of /proc/PID/stat.
func CPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStat(b)
}

// parseStat extracts utime+stime from the text of /proc/PID/stat. The
// command name in parentheses may hold spaces, so fields are counted from
// the last ')'.
func parseStat(b []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("procstat: malformed stat %q", b)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state), so field 14 (utime) is f[11].
	if len(f) < 13 {
		return 0, fmt.Errorf("procstat: short stat (%d fields)", len(f))
	}
	ut, err := strconv.ParseUint(f[11], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("procstat: utime: %w", err)
	}
	st, err := strconv.ParseUint(f[12], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("procstat: stime: %w", err)
	}
	return time.Duration(ut+st) * ClockTick, nil
}

// PeakRSS returns the VmHWM (peak resident set size) of process pid in KiB.
func PeakRSS(pid int) (int64, error) { return statusKB(pid, "VmHWM") }

// RSS returns the VmRSS (resident set size now) of process pid in KiB.
func RSS(pid int) (int64, error) { return statusKB(pid, "VmRSS") }

// statusKB reads a "Field:   1234 kB" line of /proc/PID/status.
func statusKB(pid int, field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return parseStatusKB(f, field)
}

func parseStatusKB(r io.Reader, field string) (int64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb := strings.TrimSuffix(strings.TrimSpace(v), " kB")
			return strconv.ParseInt(strings.TrimSpace(kb), 10, 64)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("procstat: no %s in the status", field)
}
