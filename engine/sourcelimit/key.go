package sourcelimit

import (
	"encoding/binary"
	"net/netip"
)

// A source's key is 64 bits: an IPv6 prefix of at most 64 bits is its top
// 64 bits masked; an IPv4 prefix is its 32 bits masked, tagged with
// ff00::/8 (multicast, never a connection's source) so that it cannot equal
// an IPv6 key. Key 0 marks an empty slot, so an IPv6 ::/64 (which holds
// only ::, ::1 and IPv4-compatible addresses) gets another multicast tag.
const (
	v4Tag   = 0xff00_0000_0000_0000
	zeroTag = 0xff01_0000_0000_0000
)

// masks for the configured prefixes.
type masks struct{ v4, v6 uint64 }

func newMasks(v4Prefix, v6Prefix int) masks {
	return masks{v4: 0xffff_ffff << (32 - v4Prefix) & 0xffff_ffff, v6: ^uint64(0) << (64 - v6Prefix)}
}

// key returns src's key, and whether src is a loopback address.
func (m masks) key(src netip.Addr) (k uint64, loopback bool) {
	src = src.Unmap()
	if src.Is4() {
		a := src.As4()
		return v4Tag | uint64(binary.BigEndian.Uint32(a[:]))&m.v4, a[0] == 127
	}
	a := src.As16()
	k = binary.BigEndian.Uint64(a[:8]) & m.v6
	if k == 0 {
		k = zeroTag
	}
	return k, src == netip.IPv6Loopback()
}

// hash spreads keys over shards and slots with a per-table random seed, so
// that sources cannot be chosen to crowd one window (splitmix64's
// finalizer).
func hash(k, seed uint64) uint64 {
	h := k ^ seed
	h = (h ^ h>>30) * 0xbf58476d1ce4e5b9
	h = (h ^ h>>27) * 0x94d049bb133111eb
	return h ^ h>>31
}
