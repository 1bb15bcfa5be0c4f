package proxyproto

import (
	"bytes"
	"net/netip"
)

// A version 1 header is one line: "PROXY TCP4 src dst sport dport\r\n",
// the same with TCP6, or "PROXY UNKNOWN" and anything up to the CRLF.
// Fields are separated by exactly one space.
const sigV1 = "PROXY "

func parseV1(b []byte) (Header, error) {
	if !hasPrefix(b, sigV1) {
		return Header{}, errSignature
	}
	window := b[:min(len(b), MaxV1Len)]
	end := bytes.IndexByte(window, '\n')
	switch {
	case end < 0 && len(b) >= MaxV1Len:
		return Header{}, errV1("line", window, ErrTooLong)
	case end < 0:
		return Header{}, ErrIncomplete
	case end < len(sigV1) || b[end-1] != '\r':
		return Header{}, errV1("line without CRLF", b[:end+1], ErrLine)
	}
	h, err := parseV1Fields(b[len(sigV1) : end-1])
	h.Len, h.Version = end+1, 1
	if err != nil {
		return Header{}, err
	}
	return h, nil
}

// parseV1Fields parses the line after "PROXY " and before the CRLF.
func parseV1Fields(line []byte) (Header, error) {
	proto, rest, _ := bytes.Cut(line, []byte{' '})
	switch string(proto) {
	case "UNKNOWN":
		return Header{Local: true}, nil
	case "TCP4":
		return parseV1Addrs(rest, false)
	case "TCP6":
		return parseV1Addrs(rest, true)
	}
	return Header{}, errV1("protocol", proto, ErrProtocol)
}

// parseV1Addrs parses "src dst sport dport" of the family the protocol
// names.
func parseV1Addrs(rest []byte, v6 bool) (Header, error) {
	var f [4][]byte
	for i := range f {
		var ok bool
		f[i], rest, ok = bytes.Cut(rest, []byte{' '})
		if ok != (i < 3) {
			return Header{}, errV1("fields", rest, ErrLine)
		}
	}
	src, err := v1Addr("source address", f[0], v6)
	if err != nil {
		return Header{}, err
	}
	dst, err := v1Addr("destination address", f[1], v6)
	if err != nil {
		return Header{}, err
	}
	sport, err := v1Port("source port", f[2])
	if err != nil {
		return Header{}, err
	}
	dport, err := v1Port("destination port", f[3])
	return Header{Source: netip.AddrPortFrom(src, sport), Destination: netip.AddrPortFrom(dst, dport)}, err
}

func v1Addr(field string, s []byte, v6 bool) (netip.Addr, error) {
	parse := parseIPv4
	if v6 {
		parse = parseIPv6
	}
	a, ok := parse(s)
	if !ok {
		return netip.Addr{}, errV1(field, s, ErrAddress)
	}
	return a, nil
}

// v1Port parses a decimal port, 0 to 65535, of one to five digits.
func v1Port(field string, s []byte) (uint16, error) {
	v, n := decimal(s, 5)
	if n == 0 || n != len(s) || v > 0xffff {
		return 0, errV1(field, s, ErrPort)
	}
	return uint16(v), nil
}
