// Package procstat is the one /proc reader of the project: a process's CPU
// time, start time, memory and file descriptors, for the metrics endpoint,
// the tests and the benchmarks.
package procstat

import (
	"bufio"
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
	st, err := ReadStat(pid)
	return st.CPU, err
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
