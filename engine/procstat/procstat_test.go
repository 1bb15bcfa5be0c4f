package procstat

import (
	"os"
	"strings"
	"testing"
)

func TestParseStat(t *testing.T) {
	line := "42 (a (weird) name) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 1 0 100 0 0"
	got, err := parseStat([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if want := 300 * ClockTick; got != want {
		t.Fatalf("got %v, want %v", got, want)
	}
	if _, err := parseStat([]byte("garbage")); err == nil {
		t.Fatal("want error for malformed stat")
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

func TestSelf(t *testing.T) {
	pid := os.Getpid()
	if _, err := CPU(pid); err != nil {
		t.Fatal(err)
	}
	now, err := RSS(pid)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := PeakRSS(pid) // read second: the peak includes now
	if err != nil {
		t.Fatal(err)
	}
	if now <= 0 || kb < now {
		t.Fatalf("RSS %d KiB, peak %d KiB", now, kb)
	}
}
