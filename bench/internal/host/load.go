package host

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// Load is the kernel's 1-minute load average (runnable and waiting tasks)
// and the machine's CPU count when it was read.
type Load struct {
	Avg1 float64
	CPUs int
}

// ReadLoad reads /proc/loadavg; the zero Load if it cannot.
func ReadLoad() Load {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return Load{}
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return Load{}
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return Load{Avg1: v, CPUs: runtime.NumCPU()}
}

// Slack is how far above the CPUs a run leaves free the rest of the
// machine's load may go before it counts as competing: half a CPU, so that
// an idle machine's 0.05 does not warn when a run uses every CPU.
const Slack = 0.5

// Warning is "" unless the load competes with a run that uses `used` of
// the CPUs: other work, the load less `own` runnable tasks of the run
// itself (0 before it starts), above the CPUs the run leaves free.
func (l Load) Warning(used, own int) string {
	free := max(0, l.CPUs-used)
	if l.CPUs == 0 || l.Avg1-float64(own) <= float64(free)+Slack {
		return ""
	}
	who := "before the run"
	if own > 0 {
		who = fmt.Sprintf("during the run (its own %d busy CPUs included)", own)
	}
	return fmt.Sprintf("the machine was loaded: 1-minute load average %.2f %s on %d CPUs, of which the run leaves %d free; "+
		"other work competed with the run and its numbers are disturbed: rerun on a quiet machine", l.Avg1, who, l.CPUs, free)
}

// CPUs counts the distinct CPUs in taskset lists such as "0", "1" or
// "0-3,6"; a list it cannot read counts as every CPU.
func CPUs(lists ...string) int {
	seen := map[int]bool{}
	for _, list := range lists {
		for _, part := range strings.Split(list, ",") {
			lo, hi, ok := cpuRange(part)
			if !ok {
				return runtime.NumCPU()
			}
			for c := lo; c <= hi; c++ {
				seen[c] = true
			}
		}
	}
	return len(seen)
}

func cpuRange(s string) (lo, hi int, ok bool) {
	a, b, isRange := strings.Cut(strings.TrimSpace(s), "-")
	lo, err := strconv.Atoi(a)
	if err != nil {
		return 0, 0, false
	}
	if !isRange {
		return lo, lo, true
	}
	hi, err = strconv.Atoi(b)
	return lo, hi, err == nil && hi >= lo && hi-lo < 4096
}
