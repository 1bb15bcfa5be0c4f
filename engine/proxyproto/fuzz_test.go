package proxyproto

import (
	"errors"
	"testing"
)

// FuzzParse: Parse never panics; a complete header fits in the input and
// is decided by its own bytes; every prefix of the input is incomplete,
// or the same outcome as the whole (the same header, or an error too).
func FuzzParse(f *testing.F) {
	for _, tc := range validCases() {
		if len(tc.in) < 512 {
			f.Add(append(tc.in, payload...))
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		h, err := Parse(in)
		checkOutcome(t, in, h, err)
		for n := range min(len(in), MaxLen+1) {
			if !prefixChecked(n, h.Len) {
				continue
			}
			ph, perr := Parse(in[:n])
			if perr == ErrIncomplete {
				continue
			}
			if (perr == nil) != (err == nil) || ph != h {
				t.Fatalf("prefix %d of %q: %+v, %v; whole: %+v, %v", n, in, ph, perr, h, err)
			}
		}
	})
}

func checkOutcome(t *testing.T, in []byte, h Header, err error) {
	switch {
	case err == ErrIncomplete:
		if len(in) >= MaxLen {
			t.Fatalf("%d bytes still incomplete", len(in))
		}
	case err != nil:
		if errors.Unwrap(err) == nil {
			t.Fatalf("error %v wraps no Err value", err)
		}
	case h.Len <= 0 || h.Len > len(in) || h.Len > MaxLen:
		t.Fatalf("length %d of %d bytes", h.Len, len(in))
	case h.Local == h.Source.IsValid() || h.Source.IsValid() != h.Destination.IsValid():
		t.Fatalf("local %v with source %v and destination %v", h.Local, h.Source, h.Destination)
	}
	if err == nil {
		if again, err2 := Parse(in[:h.Len]); err2 != nil || again != h {
			t.Fatalf("header alone: %+v, %v; with the rest: %+v", again, err2, h)
		}
	}
}

// prefixChecked keeps a long input's check linear rather than quadratic
// (the fuzzer minimizes slowly otherwise): every prefix of the first 256
// bytes, those around the header's end, and every 61st.
func prefixChecked(n, hlen int) bool {
	return n < 256 || n%61 == 0 || (n >= hlen-2 && n <= hlen+1)
}
