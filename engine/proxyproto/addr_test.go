package proxyproto

import (
	"net/netip"
	"testing"
)

var addrSeeds = []string{
	"0.0.0.0", "255.255.255.255", "192.0.2.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "256.0.0.1", "1..2.3", ".1.2.3", "1.2.3.",
	"::", "::1", "1::", "1::2", "2001:db8::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "1:2:3:4:5:6:7::",
	"::2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1::2::3", ":::", ":1", "1:", "1:::2", "12345::", "::ffff:1.2.3.4",
	"1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4", "::1.2.3.4", "1.2.3.4::", "::1.2.3", "fe80::1%eth0", "ABCD::ef",
	"g::", "", " ::1", "::1.2.3.4.5", "0:0:0:0:0:0:0:0", "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8",
}

// checkAddr fails when parseIPv4 or parseIPv6 disagrees with
// netip.ParseAddr, the reference, on s.
func checkAddr(t *testing.T, s string) {
	ref, err := netip.ParseAddr(s)
	want4, want6 := err == nil && ref.Is4(), err == nil && ref.Is6() && ref.Zone() == ""
	if a, ok := parseIPv4([]byte(s)); ok != want4 || ok && a != ref {
		t.Errorf("parseIPv4(%q) = %v, %v; netip.ParseAddr = %v, %v", s, a, ok, ref, err)
	}
	if a, ok := parseIPv6([]byte(s)); ok != want6 || ok && a != ref {
		t.Errorf("parseIPv6(%q) = %v, %v; netip.ParseAddr = %v, %v", s, a, ok, ref, err)
	}
}

func TestParseAddrMatchesNetip(t *testing.T) {
	for _, s := range addrSeeds {
		checkAddr(t, s)
	}
}

func FuzzParseAddr(f *testing.F) {
	for _, s := range addrSeeds {
		f.Add(s)
	}
	f.Fuzz(checkAddr)
}
