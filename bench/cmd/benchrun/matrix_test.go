package main

import (
	"testing"
)

func TestMatrixCoversTheIssue(t *testing.T) {
	cells := fullMatrix()
	if len(cells) != 14 {
		t.Fatalf("full matrix has %d cells, want 14", len(cells))
	}
	all := servers("bin/echo-server")
	if n := countRuns(cells, all); n != 81 {
		t.Fatalf("%d runs per repetition, want 81 (6 servers × 14 cells; the two gnets and nbio lack unixgram)", n)
	}
	if n := countRuns(quickMatrix(), pick(all, "echo-server,c")); n != 12 {
		t.Fatalf("quick runs for two servers: %d", n)
	}
}

func TestRotate(t *testing.T) {
	all := servers("p")
	for k := 0; k < 2*len(all); k++ {
		r := rotate(all, k)
		if len(r) != len(all) || r[0].Name != all[k%len(all)].Name {
			t.Fatalf("rotate %d: first is %s", k, r[0].Name)
		}
	}
}

func TestProjectStartedBySocketActivation(t *testing.T) {
	p := pick(servers("bin/echo-server"), "echo-server")[0]
	got := p.argv("bench/bin", "unixgram", "/tmp/s.sock")
	want := []string{"systemd-socket-activate", "-E", "GOMAXPROCS=1", "--datagram", "-l", "/tmp/s.sock",
		"bin/echo-server", "--loops", "1"}
	if len(got) != len(want) {
		t.Fatalf("argv %q", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("argv %q, want %q", got, want)
		}
	}
}
