package proxyproto

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

const payload = "hello\r\n\r\n\x00\r\nQUIT\nPROXY "

func TestParseValid(t *testing.T) {
	for _, tc := range validCases() {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.want
			want.Len = len(tc.in)
			for _, in := range [][]byte{tc.in, append(tc.in[:len(tc.in):len(tc.in)], payload...)} {
				got, err := Parse(in)
				if err != nil || got != want {
					t.Fatalf("Parse(%q) = %+v, %v; want %+v", in, got, err, want)
				}
			}
		})
	}
}

func TestParseMalformed(t *testing.T) {
	tcp4 := v2Header(0x21, famTCP4, v4Body)
	withLen := func(b []byte, n uint16) []byte {
		b = append([]byte(nil), b...)
		binary.BigEndian.PutUint16(b[14:16], n)
		return b
	}
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"http", "GET / HTTP/1.1\r\n", ErrSignature},
		{"v1 signature", "PROXZ TCP4", ErrSignature},
		{"v1 no space", "PROXYTCP4", ErrSignature},
		{"v2 signature", "\r\n\r\n\x00\r\nQUIX\n\x21\x11", ErrSignature},
		{"v2 signature short", "\r\n\n", ErrSignature},
		{"v2 version 1", sigV2 + "\x11", ErrVersion},
		{"v2 version 3", sigV2 + "\x31\x11\x00\x0c", ErrVersion},
		{"v2 command 2", sigV2 + "\x22", ErrCommand},
		{"v2 command 15", sigV2 + "\x2f\x00", ErrCommand},
		{"v2 family 4", sigV2 + "\x21\x41", ErrFamily},
		{"v2 transport 3", sigV2 + "\x21\x13", ErrFamily},
		{"v2 unspec stream", sigV2 + "\x21\x01", ErrFamily},
		{"v2 inet unspec", sigV2 + "\x20\x10", ErrFamily},
		{"v2 length over cap", string(withLen(tcp4[:16], MaxV2Length+1)), ErrTooLong},
		{"v2 length max", string(withLen(tcp4[:16], 0xffff)), ErrTooLong},
		{"v2 inet short", string(withLen(tcp4, inetLen-1)), ErrLength},
		{"v2 inet6 short", string(v2Header(0x21, famTCP6, v4Body)), ErrLength},
		{"v2 unix short", string(v2Header(0x21, famUnixTCP, v6Body)), ErrLength},
		{"v1 no CRLF in 107", "PROXY UNKNOWN " + strings.Repeat("x", 93), ErrTooLong},
		{"v1 CRLF at 108", "PROXY UNKNOWN " + strings.Repeat("x", 92) + "\r\n", ErrTooLong},
		{"v1 bare LF", "PROXY TCP4 192.0.2.1 192.0.2.2 1 2\n", ErrLine},
		{"v1 too few fields", "PROXY TCP4 192.0.2.1 192.0.2.2 1\r\n", ErrLine},
		{"v1 too many fields", "PROXY TCP4 192.0.2.1 192.0.2.2 1 2 3\r\n", ErrLine},
		{"v1 trailing space", "PROXY TCP4 192.0.2.1 192.0.2.2 1 2 \r\n", ErrLine},
		{"v1 double space", "PROXY TCP4 192.0.2.1  192.0.2.2 1 2\r\n", ErrLine},
		{"v1 no protocol", "PROXY \r\n", ErrProtocol},
		{"v1 lower case", "PROXY tcp4 192.0.2.1 192.0.2.2 1 2\r\n", ErrProtocol},
		{"v1 tcp5", "PROXY TCP5 192.0.2.1 192.0.2.2 1 2\r\n", ErrProtocol},
		{"v1 unknown suffix", "PROXY UNKNOWNX\r\n", ErrProtocol},
		{"v1 tcp4 with ipv6", "PROXY TCP4 ::1 192.0.2.2 1 2\r\n", ErrAddress},
		{"v1 tcp6 with ipv4", "PROXY TCP6 2001:db8::1 192.0.2.2 1 2\r\n", ErrAddress},
		{"v1 three octets", "PROXY TCP4 192.0.2 192.0.2.2 1 2\r\n", ErrAddress},
		{"v1 octet 256", "PROXY TCP4 192.0.2.1 192.0.2.256 1 2\r\n", ErrAddress},
		{"v1 leading zero", "PROXY TCP4 192.0.2.01 192.0.2.2 1 2\r\n", ErrAddress},
		{"v1 zone", "PROXY TCP6 fe80::1%eth0 2001:db8::2 1 2\r\n", ErrAddress},
		{"v1 two ellipses", "PROXY TCP6 1::2::3 2001:db8::2 1 2\r\n", ErrAddress},
		{"v1 five hex digits", "PROXY TCP6 12345:: 2001:db8::2 1 2\r\n", ErrAddress},
		{"v1 nine groups", "PROXY TCP6 1:2:3:4:5:6:7:8:9 2001:db8::2 1 2\r\n", ErrAddress},
		{"v1 port 65536", "PROXY TCP4 192.0.2.1 192.0.2.2 65536 2\r\n", ErrPort},
		{"v1 port six digits", "PROXY TCP4 192.0.2.1 192.0.2.2 1 000080\r\n", ErrPort},
		{"v1 port negative", "PROXY TCP4 192.0.2.1 192.0.2.2 -1 2\r\n", ErrPort},
		{"v1 port hex", "PROXY TCP4 192.0.2.1 192.0.2.2 1 0x50\r\n", ErrPort},
		{"v1 port empty", "PROXY TCP4 192.0.2.1 192.0.2.2  2\r\n", ErrPort},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			if !errors.Is(err, tt.want) || !strings.HasPrefix(err.Error(), "proxyproto") {
				t.Fatalf("Parse(%q) error = %v, want %v", tt.in, err, tt.want)
			}
		})
	}
}

// TestParseIncomplete: valid beginnings wait for more, whatever stage
// they stopped at.
func TestParseIncomplete(t *testing.T) {
	tests := []string{"", "P", "PROXY", "PROXY TCP4 192.0.2.1", "PROXY TCP4 192.0.2.1 192.0.2.2 1 2\r",
		"PROXY UNKNOWN " + strings.Repeat("x", 92), "\r", sigV2[:11], sigV2, sigV2 + "\x21", sigV2 + "\x21\x11\x00",
		sigV2 + "\x21\x11\x00\x0c", sigV2 + "\x21\x11\x00\x0c" + strings.Repeat("a", 11)}
	for _, in := range tests {
		if h, err := Parse([]byte(in)); err != ErrIncomplete {
			t.Errorf("Parse(%q) = %+v, %v; want ErrIncomplete", in, h, err)
		}
	}
}

// TestParseNoAllocs: the complete and incomplete paths allocate nothing.
func TestParseNoAllocs(t *testing.T) {
	for _, tc := range validCases() {
		in := append(tc.in, payload...)
		if n := testing.AllocsPerRun(100, func() { _, _ = Parse(in) }); n != 0 {
			t.Errorf("%s: %v allocations per Parse", tc.name, n)
		}
		if n := testing.AllocsPerRun(100, func() { _, _ = Parse(tc.in[:len(tc.in)-1]) }); n != 0 {
			t.Errorf("%s incomplete: %v allocations per Parse", tc.name, n)
		}
	}
}
