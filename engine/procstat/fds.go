package procstat

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// OpenFDs counts the open file descriptors of process pid.
func OpenFDs(pid int) (int, error) {
	d, err := os.Open(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return 0, err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	return len(names), err
}

// MaxFDs returns the soft RLIMIT_NOFILE of process pid, from the "Max open
// files" line of /proc/PID/limits; "unlimited" is math.MaxUint64.
func MaxFDs(pid int) (uint64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/limits", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return parseMaxFDs(f)
}

func parseMaxFDs(r io.Reader) (uint64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		v, ok := strings.CutPrefix(sc.Text(), "Max open files")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) < 1 {
			break
		}
		if f[0] == "unlimited" {
			return math.MaxUint64, nil
		}
		return strconv.ParseUint(f[0], 10, 64)
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("procstat: no \"Max open files\" limit")
}
