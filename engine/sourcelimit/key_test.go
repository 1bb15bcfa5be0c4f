package sourcelimit

import (
	"net/netip"
	"testing"
)

func TestKey(t *testing.T) {
	tests := []struct {
		name       string
		v4, v6     int
		a, b       string
		same       bool
		aIsLoopbak bool
	}{
		{"v4 distinct /32", 32, 64, "192.0.2.1", "192.0.2.2", false, false},
		{"v4 same /24", 24, 64, "192.0.2.1", "192.0.2.254", true, false},
		{"v4 other /24", 24, 64, "192.0.2.1", "192.0.3.1", false, false},
		{"mapped is v4", 32, 64, "::ffff:192.0.2.1", "192.0.2.1", true, false},
		{"v6 same /64", 32, 64, "2001:db8:1:2::1", "2001:db8:1:2:ffff::9", true, false},
		{"v6 other /64", 32, 64, "2001:db8:1:2::1", "2001:db8:1:3::1", false, false},
		{"v6 same /48", 32, 48, "2001:db8:1:2::1", "2001:db8:1:3::1", true, false},
		{"v4 never v6", 32, 64, "192.0.2.1", "::c000:201", false, false},
		{"v4 never ff00::", 32, 64, "0.0.0.1", "ff00::1", false, false},
		{"v6 ::/64 is not v4", 32, 64, "::1", "0.0.0.0", false, true},
		{"v6 ::/64 is not empty", 32, 64, "::", "::1", true, false},
		{"loopback v4", 32, 64, "127.0.0.53", "127.0.0.1", false, true},
		{"loopback mapped", 32, 64, "::ffff:127.0.0.1", "127.0.0.1", true, true},
		{"not loopback", 32, 64, "::2", "::1", true, false},
	}
	for _, tt := range tests {
		m := newMasks(tt.v4, tt.v6)
		ka, la := m.key(netip.MustParseAddr(tt.a))
		kb, _ := m.key(netip.MustParseAddr(tt.b))
		if (ka == kb) != tt.same || la != tt.aIsLoopbak || ka == 0 || kb == 0 {
			t.Errorf("%s: key(%s)=%#x loopback %v, key(%s)=%#x; want same=%v loopback %v",
				tt.name, tt.a, ka, la, tt.b, kb, tt.same, tt.aIsLoopbak)
		}
	}
}
