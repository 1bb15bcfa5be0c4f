package loadgen

import (
	"errors"
	"testing"
)

func TestParseTargetRefusesNonLoopback(t *testing.T) {
	for _, tc := range []struct{ network, addr string }{
		{network: "tcp", addr: "10.0.0.1:80"},
		{network: "tcp", addr: "192.168.1.1:7"},
		{network: "udp", addr: "8.8.8.8:53"},
		{network: "tcp", addr: "127.0.0.2:7"},
		{network: "tcp", addr: "localhost:7"},
		{network: "tcp", addr: "[::ffff:10.0.0.1]:7"},
		{network: "tcp", addr: "0.0.0.0:7"},
		{network: "unix", addr: "@abstract"},
	} {
		_, err := ParseTarget(tc.network, tc.addr)
		if !errors.Is(err, ErrNotLocal) {
			t.Errorf("ParseTarget(%q, %q) = %v, want ErrNotLocal", tc.network, tc.addr, err)
		}
	}
}

func TestParseTargetAcceptsLocal(t *testing.T) {
	for _, tc := range []struct{ network, addr string }{
		{network: "tcp", addr: "127.0.0.1:7"},
		{network: "udp", addr: "[::1]:7"},
		{network: "unix", addr: "/tmp/x.sock"},
		{network: "unixgram", addr: "rel.sock"},
	} {
		if _, err := ParseTarget(tc.network, tc.addr); err != nil {
			t.Errorf("ParseTarget(%q, %q): %v", tc.network, tc.addr, err)
		}
	}
	if _, err := ParseTarget("sctp", "127.0.0.1:7"); err == nil {
		t.Error("unknown network accepted")
	}
	if _, err := ParseTarget("tcp", "127.0.0.1:0"); err == nil {
		t.Error("port 0 accepted")
	}
}

func TestPatternIsPeriodic(t *testing.T) {
	p := newPattern()
	for _, pos := range []uint64{0, 1, patPeriod - 1, patPeriod, 3*patPeriod + 17} {
		a := p.at(pos, maxChunk)
		for i := 0; i < maxChunk; i += 4097 {
			if a[i] != p[(pos+uint64(i))%patPeriod] {
				t.Fatalf("pattern at %d+%d is not periodic", pos, i)
			}
		}
	}
}
