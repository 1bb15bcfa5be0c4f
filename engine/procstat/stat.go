package procstat

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Stat is what /proc/PID/stat says about a process.
type Stat struct {
	CPU       time.Duration // user+system time of all its threads, live and exited
	Start     time.Duration // start time after boot; see StartTime
	Threads   int
	VirtBytes int64 // virtual memory size
	RSSBytes  int64 // resident set size
}

// ReadStat reads /proc/PID/stat.
func ReadStat(pid int) (Stat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return Stat{}, err
	}
	return parseStat(b)
}

// StartTime is when the process started, on the wall clock: the boot time
// from /proc/stat plus st.Start.
func (st Stat) StartTime() (time.Time, error) {
	boot, err := bootTime()
	return boot.Add(st.Start), err
}

// statFields are the fields of /proc/PID/stat read here, numbered as in
// proc(5).
var statFields = [...]int{14, 15, 20, 22, 23, 24}

// parseStat parses the text of /proc/PID/stat. The command name in
// parentheses may hold spaces, so fields are counted from the last ')'.
func parseStat(b []byte) (Stat, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return Stat{}, fmt.Errorf("procstat: malformed stat %q", b)
	}
	f := strings.Fields(string(b[i+1:])) // f[0] is field 3 (state)
	var v [len(statFields)]int64
	for k, n := range statFields {
		if len(f) <= n-3 {
			return Stat{}, fmt.Errorf("procstat: short stat (%d fields)", len(f)+2)
		}
		x, err := strconv.ParseInt(f[n-3], 10, 64)
		if err != nil {
			return Stat{}, fmt.Errorf("procstat: stat field %d: %w", n, err)
		}
		v[k] = x
	}
	return Stat{
		CPU: time.Duration(v[0]+v[1]) * ClockTick, Threads: int(v[2]),
		Start: time.Duration(v[3]) * ClockTick, VirtBytes: v[4], RSSBytes: v[5] * int64(os.Getpagesize()),
	}, nil
}

// bootTime is the btime line of /proc/stat, read once.
var bootTime = sync.OnceValues(func() (time.Time, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return time.Time{}, err
	}
	return parseBootTime(b)
})

func parseBootTime(b []byte) (time.Time, error) {
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			s, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return time.Unix(s, 0), err
		}
	}
	return time.Time{}, fmt.Errorf("procstat: no btime in /proc/stat")
}
