package metrics

import (
	"math"
	"os"
	"runtime"

	"github.com/echo-activation/echo-server/engine/procstat"
)

// writeProcess writes the process metrics under the names client_golang's
// process and Go collectors use, so existing dashboards find them. A value
// that /proc does not give is left out rather than written as 0.
func writeProcess(t textWriter) {
	pid := os.Getpid()
	t.single("go_goroutines", "Goroutines that currently exist.", "gauge", float64(runtime.NumGoroutine()))
	if st, err := procstat.ReadStat(pid); err == nil {
		t.single("process_cpu_seconds_total", "User and system CPU time spent, in seconds.", "counter", st.CPU.Seconds())
		t.single("process_resident_memory_bytes", "Resident memory size in bytes.", "gauge", float64(st.RSSBytes))
		t.single("process_virtual_memory_bytes", "Virtual memory size in bytes.", "gauge", float64(st.VirtBytes))
		if start, err := st.StartTime(); err == nil {
			t.single("process_start_time_seconds", "Start time of the process since the Unix epoch, in seconds.", "gauge", float64(start.UnixMilli())/1e3)
		}
	}
	if n, err := procstat.OpenFDs(pid); err == nil {
		t.single("process_open_fds", "Open file descriptors.", "gauge", float64(n))
	}
	if n, err := procstat.MaxFDs(pid); err == nil {
		t.single("process_max_fds", "Most open file descriptors allowed (soft RLIMIT_NOFILE).", "gauge", maxFDsValue(n))
	}
}

func maxFDsValue(n uint64) float64 {
	if n == math.MaxUint64 {
		return math.Inf(1)
	}
	return float64(n)
}
