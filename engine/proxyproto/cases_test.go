package proxyproto

import (
	"encoding/binary"
	"net/netip"
	"strings"
)

// v2Header builds a version 2 header: the signature, verCmd, fam, the
// length of body, then body.
func v2Header(verCmd, fam byte, body ...[]byte) []byte {
	b := append([]byte(sigV2), verCmd, fam, 0, 0)
	for _, p := range body {
		b = append(b, p...)
	}
	binary.BigEndian.PutUint16(b[14:16], uint16(len(b)-16))
	return b
}

func addrBytes(s string) []byte {
	a := netip.MustParseAddr(s)
	return a.AsSlice()
}

func port(p uint16) []byte { return binary.BigEndian.AppendUint16(nil, p) }

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// tlvs is an SSL TLV (type 0x20) and a NOOP one (0x04).
var tlvs = []byte{0x20, 0, 5, 1, 0, 0, 0, 0, 0x04, 0, 3, 'a', 'b', 'c'}

type validCase struct {
	name string
	in   []byte // the header alone; tests append payload
	want Header
}

var v4Body = cat(addrBytes("192.0.2.1"), addrBytes("198.51.100.2"), port(56324), port(443))
var v6Body = cat(addrBytes("2001:db8::1"), addrBytes("2001:db8::2"), port(1), port(65535))

func validCases() []validCase {
	v1max := "PROXY UNKNOWN " + strings.Repeat("x", MaxV1Len-len("PROXY UNKNOWN ")-2) + "\r\n"
	long6 := "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
	unixBody := make([]byte, unixLen)
	return []validCase{
		{"v1 tcp4", []byte("PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n"),
			Header{Version: 1, Source: ap("192.0.2.1:56324"), Destination: ap("198.51.100.2:443")}},
		{"v1 tcp6", []byte("PROXY TCP6 2001:db8::1 2001:db8::2 1 65535\r\n"),
			Header{Version: 1, Source: ap("[2001:db8::1]:1"), Destination: ap("[2001:db8::2]:65535")}},
		{"v1 tcp6 longest", []byte("PROXY TCP6 " + long6 + " " + long6 + " 65535 65535\r\n"),
			Header{Version: 1, Source: ap("[" + long6 + "]:65535"), Destination: ap("[" + long6 + "]:65535")}},
		{"v1 tcp6 mapped", []byte("PROXY TCP6 ::ffff:192.0.2.1 :: 0 00080\r\n"),
			Header{Version: 1, Source: ap("[::ffff:192.0.2.1]:0"), Destination: ap("[::]:80")}},
		{"v1 unknown", []byte("PROXY UNKNOWN\r\n"), Header{Version: 1, Local: true}},
		{"v1 unknown with addresses", []byte("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n"), Header{Version: 1, Local: true}},
		{"v1 unknown 107 bytes", []byte(v1max), Header{Version: 1, Local: true}},
		{"v2 proxy tcp4", v2Header(0x21, famTCP4, v4Body),
			Header{Version: 2, Source: ap("192.0.2.1:56324"), Destination: ap("198.51.100.2:443")}},
		{"v2 proxy udp4", v2Header(0x21, famUDP4, v4Body),
			Header{Version: 2, Source: ap("192.0.2.1:56324"), Destination: ap("198.51.100.2:443")}},
		{"v2 proxy tcp6", v2Header(0x21, famTCP6, v6Body),
			Header{Version: 2, Source: ap("[2001:db8::1]:1"), Destination: ap("[2001:db8::2]:65535")}},
		{"v2 proxy udp6 tlvs", v2Header(0x21, famUDP6, v6Body, tlvs),
			Header{Version: 2, Source: ap("[2001:db8::1]:1"), Destination: ap("[2001:db8::2]:65535")}},
		{"v2 proxy tcp4 tlvs", v2Header(0x21, famTCP4, v4Body, tlvs),
			Header{Version: 2, Source: ap("192.0.2.1:56324"), Destination: ap("198.51.100.2:443")}},
		{"v2 proxy tcp4 longest", v2Header(0x21, famTCP4, v4Body, make([]byte, MaxV2Length-len(v4Body))),
			Header{Version: 2, Source: ap("192.0.2.1:56324"), Destination: ap("198.51.100.2:443")}},
		{"v2 proxy unix", v2Header(0x21, famUnixTCP, unixBody), Header{Version: 2, Local: true}},
		{"v2 proxy unix dgram tlvs", v2Header(0x21, famUnixDgram, unixBody, tlvs), Header{Version: 2, Local: true}},
		{"v2 proxy unspec", v2Header(0x21, famUnspec), Header{Version: 2, Local: true}},
		{"v2 local", v2Header(0x20, famUnspec), Header{Version: 2, Local: true}},
		{"v2 local inet", v2Header(0x20, famTCP4, v4Body), Header{Version: 2, Local: true}},
		{"v2 local inet6 tlvs", v2Header(0x20, famTCP6, v6Body, tlvs), Header{Version: 2, Local: true}},
		{"v2 local unix short", v2Header(0x20, famUnixTCP, tlvs), Header{Version: 2, Local: true}},
	}
}
