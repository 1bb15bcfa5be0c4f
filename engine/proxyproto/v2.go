package proxyproto

import (
	"encoding/binary"
	"net/netip"
)

// A version 2 header is 16 fixed bytes (a 12-byte signature, the version
// and command, the address family and transport, a big-endian length) and
// then length bytes: the addresses of the family, then TLVs.
const sigV2 = "\r\n\r\n\x00\r\nQUIT\n"

// Version 2 commands (the low nibble of byte 12; the high one is the version).
const (
	cmdLocal = 0x0
	cmdProxy = 0x1
)

// Version 2 families and transports (byte 13), the only values the
// specification lets a sender emit; receivers are told to drop any other.
const (
	famUnspec    = 0x00
	famTCP4      = 0x11
	famUDP4      = 0x12
	famTCP6      = 0x21
	famUDP6      = 0x22
	famUnixTCP   = 0x31
	famUnixDgram = 0x32
)

// Address block lengths: two IPv4 addresses and two ports; two IPv6; two
// 108-byte unix paths.
const (
	inetLen  = 12
	inet6Len = 36
	unixLen  = 216
)

func parseV2(b []byte) (Header, error) {
	if !hasPrefix(b, sigV2) {
		return Header{}, errSignature
	}
	if err := checkV2Fixed(b); err != nil || len(b) < 16 {
		return Header{}, err
	}
	length := int(binary.BigEndian.Uint16(b[14:16]))
	if len(b) < 16+length {
		return Header{}, ErrIncomplete
	}
	h, err := v2Addrs(b[12]&0xf, b[13], b[16:16+length])
	h.Len, h.Version = 16+length, 2
	if err != nil {
		return Header{}, err
	}
	return h, nil
}

// checkV2Fixed checks whichever of bytes 12 to 15 have arrived; it returns
// ErrIncomplete when fewer than 16 bytes have.
func checkV2Fixed(b []byte) error {
	switch {
	case len(b) <= 12:
		return ErrIncomplete
	case b[12]>>4 != 2:
		return errV2("version", int(b[12]>>4), ErrVersion)
	case b[12]&0xf > cmdProxy:
		return errV2("command", int(b[12]&0xf), ErrCommand)
	case len(b) == 13:
		return ErrIncomplete
	case !knownFamily(b[13]):
		return errV2("family and protocol", int(b[13]), ErrFamily)
	case len(b) < 16:
		return ErrIncomplete
	}
	if n := int(binary.BigEndian.Uint16(b[14:16])); n > MaxV2Length {
		return errV2Len(n)
	}
	return nil
}

func knownFamily(f byte) bool {
	switch f {
	case famUnspec, famTCP4, famUDP4, famTCP6, famUDP6, famUnixTCP, famUnixDgram:
		return true
	}
	return false
}

// v2Addrs reads the addresses of a PROXY command's family from block (the
// bytes after the fixed 16); what follows them, TLVs, is skipped.
func v2Addrs(cmd, fam byte, block []byte) (Header, error) {
	need := map4(fam>>4, 0, inetLen, inet6Len, unixLen)
	switch {
	case cmd == cmdLocal:
		return Header{Local: true}, nil
	case len(block) < need:
		return Header{}, errV2("length too short for family", int(fam), ErrLength)
	case fam>>4 == 1:
		return inetAddrs(block), nil
	case fam>>4 == 2:
		return inet6Addrs(block), nil
	}
	return Header{Local: true}, nil
}

// map4 picks the value for a family nibble 0 to 3.
func map4(f byte, v0, v1, v2, v3 int) int {
	return [4]int{v0, v1, v2, v3}[f&3]
}

func inetAddrs(b []byte) Header {
	return addrPorts(netip.AddrFrom4([4]byte(b[0:4])), netip.AddrFrom4([4]byte(b[4:8])), b[8:12])
}

func inet6Addrs(b []byte) Header {
	return addrPorts(netip.AddrFrom16([16]byte(b[0:16])), netip.AddrFrom16([16]byte(b[16:32])), b[32:36])
}

// addrPorts is the header of src and dst with the two big-endian ports
// that follow them in a v2 address block.
func addrPorts(src, dst netip.Addr, ports []byte) Header {
	return Header{
		Source:      netip.AddrPortFrom(src, binary.BigEndian.Uint16(ports[0:2])),
		Destination: netip.AddrPortFrom(dst, binary.BigEndian.Uint16(ports[2:4])),
	}
}
