package proxyproto

import (
	"net/netip"
	"unsafe"
)

// Text addresses are parsed by netip.ParseAddr over a string that views the
// byte slice (unsafe.String) rather than a copy, which would allocate per
// header. The view is safe: on success netip keeps nothing of its input
// (an IPv6 zone, which it would keep, is copied by it and refused here),
// and on failure its error, the only thing that holds the view, is dropped.

// decimal reads up to max leading decimal digits of s: their value and
// how many there were.
func decimal(s []byte, max int) (v, n int) {
	for n < len(s) && n < max && '0' <= s[n] && s[n] <= '9' {
		v = v*10 + int(s[n]-'0')
		n++
	}
	return v, n
}

// parseIPv4 parses dotted decimal: four fields of 0 to 255 without leading
// zeros.
func parseIPv4(s []byte) (netip.Addr, bool) {
	a, ok := parseAddr(s)
	return a, ok && a.Is4()
}

// parseIPv6 parses RFC 4291 text without a zone: eight groups, one "::"
// standing for one or more zero groups, the last two groups optionally
// dotted IPv4.
func parseIPv6(s []byte) (netip.Addr, bool) {
	a, ok := parseAddr(s)
	return a, ok && a.Is6() && a.Zone() == ""
}

func parseAddr(s []byte) (netip.Addr, bool) {
	if len(s) == 0 {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(unsafe.String(&s[0], len(s)))
	return a, err == nil
}
