// Package host describes the machine a benchmark runs on and how busy it
// is, so that every record says where it was measured and warns when other
// work competed with the run.
package host

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// Describe is the machine in one line: CPUs, CPU model, kernel, Go.
func Describe() string {
	var u unix.Utsname
	_ = unix.Uname(&u)
	return fmt.Sprintf("nproc %d, CPU %s, kernel %s %s, %s",
		runtime.NumCPU(), cpuModel(), unix.ByteSliceToString(u.Sysname[:]),
		unix.ByteSliceToString(u.Release[:]), runtime.Version())
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// Name is the host name, safe in a file name.
func Name() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "host"
	}
	return strings.ReplaceAll(h, "/", "_")
}
