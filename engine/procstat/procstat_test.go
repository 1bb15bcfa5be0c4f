package procstat

import (
	"os"
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

func TestSelf(t *testing.T) {
	pid := os.Getpid()
	if _, err := CPU(pid); err != nil {
		t.Fatal(err)
	}
	kb, err := PeakRSS(pid)
	if err != nil {
		t.Fatal(err)
	}
	if kb <= 0 {
		t.Fatalf("peak RSS %d KiB", kb)
	}
}
