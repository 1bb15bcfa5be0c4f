package udprules

import (
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The first rule of the UDP guard: never answer a datagram whose source is
// a service port or an address no reply may go to. A forged datagram from
// another host's echo (7), chargen (19), NTP (123) or NFS (2049) port would
// otherwise aim this server at that service, the "UDP packet storm" of CERT
// CA-1996-01 (CVE-1999-0103). OpenBSD's and busybox's inetd refuse the same
// sources (their dg_badinput).

// firstUnprivilegedPort is the lowest source port answered; below it are
// the services of RFC 1700's well-known range.
const firstUnprivilegedPort = 1024

// nfsPort is NFS's port, above 1023 but a service all the same.
const nfsPort = 2049

// sourceRule returns why a datagram from sa must not be answered, or
// answered. Only AF_INET and AF_INET6 sources are judged.
func sourceRule(sa *unix.RawSockaddrAny) Reason {
	switch sa.Addr.Family {
	case unix.AF_INET:
		a := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		return judgeSource(netPort(&a.Port), badIPv4(a.Addr))
	case unix.AF_INET6:
		a := (*unix.RawSockaddrInet6)(unsafe.Pointer(sa))
		return judgeSource(netPort(&a.Port), badIPv6(&a.Addr))
	}
	return Answered
}

func judgeSource(port uint16, badAddr bool) Reason {
	switch {
	case badAddr:
		return RefusedAddress
	case port < firstUnprivilegedPort || port == nfsPort:
		return RefusedPort
	}
	return Answered
}

// netPort reads a port stored in network byte order.
func netPort(p *uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(p))
	return uint16(b[0])<<8 | uint16(b[1])
}

// badIPv4 is true for 0.0.0.0/8 ("this network": not an address to reply
// to), multicast (224.0.0.0/4) and the limited broadcast 255.255.255.255.
func badIPv4(a [4]byte) bool {
	return a[0] == 0 || a[0]&0xf0 == 224 || a == [4]byte{255, 255, 255, 255}
}

// badIPv6 is true for the unspecified address ::, multicast (ff00::/8) and
// a v4-mapped address (::ffff:a.b.c.d, what a dual-stack socket sees of an
// IPv4 sender) that carries a bad IPv4 source.
func badIPv6(a *[16]byte) bool {
	if v4, ok := v4Mapped(a); ok {
		return badIPv4(v4)
	}
	return *a == [16]byte{} || a[0] == 0xff
}

func v4Mapped(a *[16]byte) ([4]byte, bool) {
	ok := [12]byte(a[:12]) == [12]byte{10: 0xff, 11: 0xff}
	return [4]byte(a[12:]), ok
}

// isLoopback is true for a source in 127.0.0.0/8, ::1 or ::ffff:127.0.0.0/104.
// The kernel drops such sources arriving from any other interface (IPv4:
// martian source unless route_localnet; IPv6: RFC 4291 2.5.3), so only a
// process on this host can send them.
func isLoopback(sa *unix.RawSockaddrAny) bool {
	switch sa.Addr.Family {
	case unix.AF_INET:
		return (*unix.RawSockaddrInet4)(unsafe.Pointer(sa)).Addr[0] == 127
	case unix.AF_INET6:
		a := &(*unix.RawSockaddrInet6)(unsafe.Pointer(sa)).Addr
		if v4, ok := v4Mapped(a); ok {
			return v4[0] == 127
		}
		return *a == [16]byte{15: 1}
	}
	return false
}

// SourceString formats sa for a log line, a v4-mapped address as IPv4 (it
// allocates: only when logging).
func SourceString(sa *unix.RawSockaddrAny) string {
	switch sa.Addr.Family {
	case unix.AF_INET:
		a := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), netPort(&a.Port)).String()
	case unix.AF_INET6:
		a := (*unix.RawSockaddrInet6)(unsafe.Pointer(sa))
		return netip.AddrPortFrom(netip.AddrFrom16(a.Addr).Unmap(), netPort(&a.Port)).String()
	}
	return "?"
}
