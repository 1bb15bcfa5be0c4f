package engine

import (
	"encoding/binary"
	"net/netip"

	"golang.org/x/sys/unix"
)

// forger sends UDP datagrams with any source address and port, built by
// hand, through raw sockets (root): for IPv4 an IPPROTO_RAW socket, which
// implies IP_HDRINCL; for IPv6 an IPPROTO_RAW socket too, which Linux
// treats as IPV6_HDRINCL since 4.5 (checked on 6.18: the kernel sends the
// header as given). Make it inside the test's network namespace.
type forger struct{ fd4, fd6 int }

func newForger() (*forger, error) {
	fd4, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_RAW)
	if err != nil {
		return nil, err
	}
	fd6, err := unix.Socket(unix.AF_INET6, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_RAW)
	if err != nil {
		_ = unix.Close(fd4)
		return nil, err
	}
	return &forger{fd4: fd4, fd6: fd6}, nil
}

func (f *forger) Close() error {
	_ = unix.Close(f.fd6)
	return unix.Close(f.fd4)
}

// send sends one datagram from src to dst; a v4-mapped src goes in an IPv6
// header (what a dual-stack socket could never receive from a real IPv4
// sender, but an attacker can send).
func (f *forger) send(src, dst netip.AddrPort, payload []byte) error {
	udp := udpDatagram(src, dst, payload)
	if dst.Addr().Is4() {
		h := make([]byte, 20, 20+len(udp))
		h[0] = 0x45                                            // version 4, 5 words
		binary.BigEndian.PutUint16(h[2:], uint16(20+len(udp))) // total length
		h[8], h[9] = 64, unix.IPPROTO_UDP                      // TTL, protocol
		copy(h[12:16], src.Addr().AsSlice())                   // the kernel fills the ID and checksum
		copy(h[16:20], dst.Addr().AsSlice())
		return unix.Sendto(f.fd4, append(h, udp...), 0, &unix.SockaddrInet4{Addr: dst.Addr().As4()})
	}
	h := make([]byte, 40, 40+len(udp))
	h[0] = 0x60 // version 6
	binary.BigEndian.PutUint16(h[4:], uint16(len(udp)))
	h[6], h[7] = unix.IPPROTO_UDP, 64 // next header, hop limit
	s16, d16 := src.Addr().As16(), dst.Addr().As16()
	copy(h[8:24], s16[:])
	copy(h[24:40], d16[:])
	return unix.Sendto(f.fd6, append(h, udp...), 0, &unix.SockaddrInet6{Addr: d16})
}

// udpDatagram builds the UDP header and payload with the checksum over the
// pseudo-header (mandatory for IPv6).
func udpDatagram(src, dst netip.AddrPort, payload []byte) []byte {
	u := make([]byte, 8+len(payload))
	binary.BigEndian.PutUint16(u[0:], src.Port())
	binary.BigEndian.PutUint16(u[2:], dst.Port())
	binary.BigEndian.PutUint16(u[4:], uint16(len(u)))
	copy(u[8:], payload)
	var sum uint32
	if dst.Addr().Is4() {
		s, d := src.Addr().As4(), dst.Addr().As4()
		sum = onesSum(onesSum(0, s[:]), d[:])
	} else {
		s, d := src.Addr().As16(), dst.Addr().As16()
		sum = onesSum(onesSum(0, s[:]), d[:])
	}
	sum = onesSum(sum+unix.IPPROTO_UDP+uint32(len(u)), u)
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	c := ^uint16(sum)
	if c == 0 {
		c = 0xffff // 0 means "no checksum"
	}
	binary.BigEndian.PutUint16(u[6:], c)
	return u
}

func onesSum(sum uint32, b []byte) uint32 {
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	return sum
}
