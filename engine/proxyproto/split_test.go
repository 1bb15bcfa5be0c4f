package proxyproto

import "testing"

// feed appends the chunks of in one after another to a buffer, as reads
// fill an event loop's inbound buffer, and parses after each. It returns
// the header and the index of the chunk that completed it, failing the
// test if any earlier call returned anything but ErrIncomplete.
func feed(t *testing.T, in []byte, cuts []int) (Header, int) {
	t.Helper()
	var buf []byte
	prev := 0
	for i, cut := range append(cuts, len(in)) {
		buf = append(buf, in[prev:cut]...)
		prev = cut
		h, err := Parse(buf)
		if err == nil {
			return h, i
		}
		if err != ErrIncomplete {
			t.Fatalf("after %d of %d bytes: %v", len(buf), len(in), err)
		}
	}
	t.Fatalf("never complete after all %d bytes", len(in))
	return Header{}, 0
}

// TestParseByteByByte feeds every valid header (with payload behind it)
// one byte at a time: it completes exactly at its last byte.
func TestParseByteByByte(t *testing.T) {
	for _, tc := range validCases() {
		in := append(tc.in[:len(tc.in):len(tc.in)], payload...)
		cuts := make([]int, 0, len(in))
		for i := 1; i < len(in); i++ {
			cuts = append(cuts, i)
		}
		h, at := feed(t, in, cuts)
		if want := withLen(tc.want, len(tc.in)); h != want || at != len(tc.in)-1 {
			t.Errorf("%s: %+v at byte %d, want %+v at byte %d", tc.name, h, at+1, want, len(tc.in))
		}
	}
}

// TestParseSplit splits every valid header (with payload) in two reads
// at every offset.
func TestParseSplit(t *testing.T) {
	for _, tc := range validCases() {
		in := append(tc.in[:len(tc.in):len(tc.in)], payload...)
		want := withLen(tc.want, len(tc.in))
		for cut := 0; cut <= len(in); cut++ {
			h, at := feed(t, in, []int{cut})
			if wantAt := btoi(cut < len(tc.in)); h != want || at != wantAt {
				t.Fatalf("%s cut at %d: %+v after read %d, want %+v after read %d", tc.name, cut, h, at, want, wantAt)
			}
		}
	}
}

func withLen(h Header, n int) Header {
	h.Len = n
	return h
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
