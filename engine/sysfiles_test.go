package engine

import "testing"

func TestParseFileNr(t *testing.T) {
	tests := []struct {
		in   string
		free int64
		ok   bool
	}{
		{in: "522\t0\t2466160\n", free: 2466160 - 522, ok: true},
		{in: "9000 0 9216", free: 216, ok: true},
		{in: "522 0", ok: false},
		{in: "x 0 9", ok: false},
		{in: "", ok: false},
	}
	for _, tt := range tests {
		free, ok := parseFileNr(tt.in)
		if ok != tt.ok || ok && free != tt.free {
			t.Errorf("parseFileNr(%q) = %d, %v; want %d, %v", tt.in, free, ok, tt.free, tt.ok)
		}
	}
	if free := systemFilesFree(); free < sysFilesHeadroom {
		t.Fatalf("this machine has %d files free system-wide: the loops would not accept", free)
	}
}
