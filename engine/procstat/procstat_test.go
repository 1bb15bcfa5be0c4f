package procstat

import (
	"math"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// statLine is /proc/PID/stat up to field 24 (rss), with utime 250, stime
// 50, 7 threads, starttime 100, vsize 4096000, rss 300 pages.
const statLine = "42 (a (weird) name) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 7 0 100 4096000 300"

func TestParseStat(t *testing.T) {
	page := int64(os.Getpagesize())
	for _, tc := range []struct {
		name, in string
		want     Stat
		err      string
	}{
		{name: "full", in: statLine, want: Stat{CPU: 300 * ClockTick, Threads: 7, Start: time.Second, VirtBytes: 4096000, RSSBytes: 300 * page}},
		{name: "name with spaces and parens", in: strings.Replace(statLine, "a (weird) name", "x) (y", 1), want: Stat{CPU: 300 * ClockTick, Threads: 7, Start: time.Second, VirtBytes: 4096000, RSSBytes: 300 * page}},
		{name: "garbage", in: "garbage", err: "malformed"},
		{name: "short", in: "42 (x) S 1 2 3 4 5 6 7 8 9 10 250 50", err: "short stat"},
		{name: "not a number", in: strings.Replace(statLine, " 250 ", " x ", 1), err: "field 14"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseStat([]byte(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want one with %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestParseBootTime(t *testing.T) {
	got, err := parseBootTime([]byte("cpu  1 2 3\nintr 5\nbtime 1764200000\nprocesses 9\n"))
	if err != nil || !got.Equal(time.Unix(1764200000, 0)) {
		t.Fatalf("got %v, %v", got, err)
	}
	if _, err := parseBootTime([]byte("cpu 1 2 3\n")); err == nil {
		t.Fatal("want an error without btime")
	}
}

func TestParseMaxFDs(t *testing.T) {
	head := "Limit                     Soft Limit           Hard Limit           Units     \n" +
		"Max processes             95000                95000                processes \n"
	for _, tc := range []struct {
		name, in string
		want     uint64
		ok       bool
	}{
		{"number", head + "Max open files            1024                 524288               files     \n", 1024, true},
		{"unlimited", head + "Max open files            unlimited            unlimited            files     \n", math.MaxUint64, true},
		{"missing", head, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseMaxFDs(strings.NewReader(tc.in))
			if (err == nil) != tc.ok || got != tc.want {
				t.Fatalf("got %d, %v; want %d (ok %v)", got, err, tc.want, tc.ok)
			}
		})
	}
}

// TestSelf reads this test process and checks each value against what the
// kernel says another way.
func TestSelf(t *testing.T) {
	pid := os.Getpid()
	if _, err := CPU(pid); err != nil {
		t.Fatal(err)
	}
	now, err := RSS(pid)
	if err != nil {
		t.Fatal(err)
	}
	if kb, err := PeakRSS(pid); err != nil || kb < now { // read second: the peak includes now
		t.Fatalf("peak RSS %d KiB, RSS %d KiB, %v", kb, now, err)
	}
	st, err := ReadStat(pid)
	if err != nil || st.RSSBytes <= 0 || st.Threads < 1 || st.VirtBytes < st.RSSBytes {
		t.Fatalf("stat %+v, %v", st, err)
	}
	start, err := st.StartTime()
	if err != nil || start.After(time.Now()) || time.Since(start) > time.Hour {
		t.Fatalf("start time %v (%v ago), %v", start, time.Since(start), err)
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if max, err := MaxFDs(pid); err != nil || max != lim.Cur {
		t.Fatalf("max fds %d, %v; getrlimit says %d", max, err, lim.Cur)
	}
}

// TestOpenFDs: opening one more file counts one more fd.
func TestOpenFDs(t *testing.T) {
	pid := os.Getpid()
	before, err := OpenFDs(pid)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("/proc/self/stat")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	after, err := OpenFDs(pid)
	if err != nil || after != before+1 {
		t.Fatalf("open fds %d then %d (%v), want one more", before, after, err)
	}
}
func TestParseStatusKB(t *testing.T) {
	status := "Name:\tx\nVmHWM:\t    2048 kB\nVmRSS:\t    1024 kB\n"
	for _, tt := range []struct {
		field string
		want  int64
		bad   bool
	}{
		{field: "VmHWM", want: 2048},
		{field: "VmRSS", want: 1024},
		{field: "VmSwap", bad: true},
	} {
		got, err := parseStatusKB(strings.NewReader(status), tt.field)
		if (err != nil) != tt.bad || got != tt.want {
			t.Errorf("%s: got %d, %v; want %d (error: %v)", tt.field, got, err, tt.want, tt.bad)
		}
	}
}
