package proxyproto

import (
	"errors"
	"net/netip"
	"time"
)

// Header is a complete PROXY protocol header.
type Header struct {
	// Len is the header's length in bytes: the caller discards this many
	// bytes before the connection's payload.
	Len int
	// Version is 1 (text) or 2 (binary).
	Version uint8
	// Local is true when the header names no client to use: a version 2
	// LOCAL command (the proxy's own health checks), a version 1 UNKNOWN
	// line, or a version 2 AF_UNSPEC or AF_UNIX address. The connection is
	// then served as the proxy's own, and Source and Destination are zero.
	Local bool
	// Source is the client's address and port; Destination is the address
	// and port the client connected to on the proxy. An IPv4 address in a
	// version 2 INET6 block stays in its IPv4-mapped IPv6 form.
	Source, Destination netip.AddrPort
}

// MaxV1Len is the longest version 1 line, CRLF included, as the
// specification fixes it: a receiver that has 107 bytes and no CRLF has no
// header.
const MaxV1Len = 107

// MaxV2Length is the largest address-and-TLV length accepted in a version 2
// header (the 16-bit field after the fixed 16 bytes). The addresses take at
// most 216 bytes (AF_UNIX); HAProxy's TLVs (ALPN, authority, unique ID of
// at most 128 bytes, SSL with the client certificate's CN, netns) and the
// cloud load balancers' (AWS VPC endpoint ID, Azure link ID) fit well
// within the rest. The cap bounds what one trusted connection can make the
// server hold before its payload starts.
const MaxV2Length = 2048

// MaxLen is the most bytes Parse can ask for before it decides.
const MaxLen = 16 + MaxV2Length

// DefaultHeaderTimeout is how long a connection from a trusted proxy may
// take to deliver its complete header before it is closed. A proxy writes
// the header with (or just before) the client's first bytes, in one
// segment, so anything slower is a broken or hostile peer; 5 s covers a
// lost segment's retransmissions (the initial RTO is 1 s, doubling) and is
// far below the idle timeout that would otherwise hold the connection.
const DefaultHeaderTimeout = 5 * time.Second

// ErrIncomplete means the input is a valid beginning of a header: call
// Parse again with more bytes. It is the only error that is not final.
var ErrIncomplete = errors.New("proxyproto: incomplete header")

// Errors for malformed headers; Parse wraps them with the offending detail.
var (
	ErrSignature = errors.New("not a PROXY protocol header")
	ErrTooLong   = errors.New("header too long")
	ErrLine      = errors.New("malformed version 1 line")
	ErrProtocol  = errors.New("unknown version 1 protocol")
	ErrAddress   = errors.New("bad address")
	ErrPort      = errors.New("bad port")
	ErrVersion   = errors.New("bad version 2 version")
	ErrCommand   = errors.New("bad version 2 command")
	ErrFamily    = errors.New("bad version 2 address family or protocol")
	ErrLength    = errors.New("version 2 length too short for its addresses")
)

// Parse parses the header at the start of b, the bytes received so far on
// a connection from a trusted proxy. It returns the complete header, or
// ErrIncomplete when b is a valid beginning of one, or another error
// (wrapping one of the Err values) when b cannot begin a header. The
// result depends only on b[:Header.Len] once complete, so a longer b
// gives the same header. Parse does not retain b.
func Parse(b []byte) (Header, error) {
	if len(b) == 0 {
		return Header{}, ErrIncomplete
	}
	switch b[0] {
	case sigV1[0]:
		return parseV1(b)
	case sigV2[0]:
		return parseV2(b)
	}
	return Header{}, errSignature
}

var errSignature = wrap("proxyproto", ErrSignature)

// hasPrefix reports whether b and sig agree on their common length.
func hasPrefix(b []byte, sig string) bool {
	n := min(len(b), len(sig))
	return string(b[:n]) == sig[:n]
}
