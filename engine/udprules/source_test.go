package udprules

import (
	"net/netip"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// rawSockaddr is what recvmmsg writes for a sender at ap on a socket of
// the given family (AF_INET6 sees IPv4 senders v4-mapped).
func rawSockaddr(ap netip.AddrPort, family int) *unix.RawSockaddrAny {
	var sa unix.RawSockaddrAny
	port := [2]byte{byte(ap.Port() >> 8), byte(ap.Port())}
	if family == unix.AF_INET {
		a := (*unix.RawSockaddrInet4)(unsafe.Pointer(&sa))
		a.Family, a.Addr = unix.AF_INET, ap.Addr().As4()
		a.Port = *(*uint16)(unsafe.Pointer(&port))
		return &sa
	}
	a := (*unix.RawSockaddrInet6)(unsafe.Pointer(&sa))
	a.Family, a.Addr = unix.AF_INET6, ap.Addr().As16()
	a.Port = *(*uint16)(unsafe.Pointer(&port))
	return &sa
}

// senderSockaddr is rawSockaddr for a sender at src on a socket of its own
// family (an IPv4 sender on an AF_INET socket).
func senderSockaddr(src string) (netip.AddrPort, *unix.RawSockaddrAny) {
	ap := netip.MustParseAddrPort(src)
	if ap.Addr().Is4() {
		return ap, rawSockaddr(ap, unix.AF_INET)
	}
	return ap, rawSockaddr(ap, unix.AF_INET6)
}

func TestSourceRule(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want Reason
	}{
		{src: "10.0.0.1:40000", want: Answered},
		{src: "10.0.0.1:0", want: RefusedPort},
		{src: "10.0.0.1:7", want: RefusedPort},
		{src: "10.0.0.1:19", want: RefusedPort},
		{src: "10.0.0.1:123", want: RefusedPort},
		{src: "10.0.0.1:1023", want: RefusedPort},
		{src: "10.0.0.1:1024", want: Answered},
		{src: "10.0.0.1:2048", want: Answered},
		{src: "10.0.0.1:2049", want: RefusedPort},
		{src: "10.0.0.1:2050", want: Answered},
		{src: "10.0.0.1:65535", want: Answered},
		{src: "0.0.0.0:40000", want: RefusedAddress},
		{src: "0.1.2.3:40000", want: RefusedAddress},
		{src: "1.0.0.0:40000", want: Answered},
		{src: "223.255.255.255:40000", want: Answered},
		{src: "224.0.0.1:40000", want: RefusedAddress},
		{src: "239.255.255.255:40000", want: RefusedAddress},
		{src: "240.0.0.1:40000", want: Answered},
		{src: "255.255.255.254:40000", want: Answered},
		{src: "255.255.255.255:40000", want: RefusedAddress},
		{src: "224.0.0.1:7", want: RefusedAddress}, // the address is judged first
		{src: "127.0.0.1:40000", want: Answered},
		{src: "127.0.0.1:1023", want: RefusedPort},
		{src: "[2001:db8::1]:40000", want: Answered},
		{src: "[2001:db8::1]:2049", want: RefusedPort},
		{src: "[::]:40000", want: RefusedAddress},
		{src: "[ff02::1]:40000", want: RefusedAddress},
		{src: "[ff0e::1]:40000", want: RefusedAddress},
		{src: "[fe80::1]:40000", want: Answered},
		{src: "[::1]:40000", want: Answered},
		{src: "[::1]:7", want: RefusedPort},
		{src: "[::ffff:0.0.0.0]:40000", want: RefusedAddress},
		{src: "[::ffff:224.0.0.1]:40000", want: RefusedAddress},
		{src: "[::ffff:255.255.255.255]:40000", want: RefusedAddress},
		{src: "[::ffff:10.0.0.1]:40000", want: Answered},
		{src: "[::ffff:10.0.0.1]:53", want: RefusedPort},
	} {
		ap := netip.MustParseAddrPort(tc.src)
		families := []int{unix.AF_INET6}
		if ap.Addr().Is4() {
			families = append(families, unix.AF_INET)
		}
		for _, fam := range families {
			if got := sourceRule(rawSockaddr(ap, fam)); got != tc.want {
				t.Errorf("%s (family %d): %v, want %v", tc.src, fam, got, tc.want)
			}
		}
	}
}

func TestIsLoopback(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want bool
	}{
		{src: "127.0.0.1:5000", want: true},
		{src: "127.255.0.9:5000", want: true},
		{src: "[::1]:5000", want: true},
		{src: "[::ffff:127.0.0.1]:5000", want: true},
		{src: "128.0.0.1:5000", want: false},
		{src: "10.0.0.1:5000", want: false},
		{src: "[::2]:5000", want: false},
		{src: "[::ffff:10.0.0.1]:5000", want: false},
	} {
		ap, sa := senderSockaddr(tc.src)
		if got := isLoopback(sa); got != tc.want {
			t.Errorf("isLoopback(%s) = %v", tc.src, got)
		}
		if got, want := SourceString(sa), netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()).String(); got != want {
			t.Errorf("SourceString(%s) = %s", tc.src, got)
		}
	}
}
