package proxyproto

import "net/netip"

// Text addresses parsed from a byte slice without allocating (netip.ParseAddr
// takes a string, and converting the slice would allocate). They accept
// what netip.ParseAddr accepts for IPv4 and for IPv6 without a zone; the
// tests check both against it.

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
	var a [4]byte
	for i := range a {
		if i > 0 {
			if len(s) == 0 || s[0] != '.' {
				return netip.Addr{}, false
			}
			s = s[1:]
		}
		v, n := decimal(s, 3)
		if n == 0 || v > 255 || (n > 1 && s[0] == '0') {
			return netip.Addr{}, false
		}
		a[i], s = byte(v), s[n:]
	}
	return netip.AddrFrom4(a), len(s) == 0
}

// hexGroup reads one to four hex digits: their value and count; n is 0 for
// none or for more than four.
func hexGroup(s []byte) (v, n int) {
	for ; n < len(s) && n < 5; n++ {
		d := unhex(s[n])
		if d < 0 {
			break
		}
		v = v<<4 | d
	}
	if n == 5 {
		return 0, 0
	}
	return v, n
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c - 'a' + 10)
	case 'A' <= c && c <= 'F':
		return int(c - 'A' + 10)
	}
	return -1
}

// parseIPv6 parses RFC 4291 text: eight groups, one "::" standing for one
// or more zero groups, the last two groups optionally dotted IPv4.
func parseIPv6(s []byte) (netip.Addr, bool) {
	var a [16]byte
	j, ellipsis, ok := ipv6Groups(s, &a)
	switch {
	case !ok:
		return netip.Addr{}, false
	case ellipsis < 0:
		return netip.AddrFrom16(a), j == 16
	case j == 16:
		return netip.Addr{}, false
	}
	n := 16 - j
	copy(a[ellipsis+n:], a[ellipsis:j])
	clear(a[ellipsis : ellipsis+n])
	return netip.AddrFrom16(a), true
}

// ipv6Groups fills a with the groups of s in order: it returns how many
// bytes it filled and where the "::" was (-1: none).
func ipv6Groups(s []byte, a *[16]byte) (j, ellipsis int, ok bool) {
	ellipsis = -1
	if len(s) >= 2 && s[0] == ':' && s[1] == ':' {
		ellipsis, s = 0, s[2:]
	}
	for len(s) > 0 {
		v, n := hexGroup(s)
		switch {
		case n == 0 || j == 16:
			return j, ellipsis, false
		case n < len(s) && s[n] == '.':
			return ipv6Tail(s, a, j, ellipsis)
		}
		a[j], a[j+1], j, s = byte(v>>8), byte(v), j+2, s[n:]
		if len(s) == 0 {
			break
		}
		if s[0] != ':' || len(s) == 1 {
			return j, ellipsis, false
		}
		if s = s[1:]; s[0] == ':' {
			if ellipsis >= 0 {
				return j, ellipsis, false
			}
			ellipsis, s = j, s[1:]
		}
	}
	return j, ellipsis, true
}

// ipv6Tail parses a dotted IPv4 ending at the end of s into the last 32
// bits so far.
func ipv6Tail(s []byte, a *[16]byte, j, ellipsis int) (int, int, bool) {
	v4, ok := parseIPv4(s)
	if !ok || j > 12 || (ellipsis < 0 && j != 12) {
		return j, ellipsis, false
	}
	b := v4.As4()
	copy(a[j:], b[:])
	return j + 4, ellipsis, true
}
