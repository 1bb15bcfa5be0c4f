//go:build linux

package listen

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Endpoint is a parsed --listen URL: what to create, checked for syntax but
// not yet resolved or created. Make one with ParseURL.
type Endpoint struct {
	URL    string // as given
	Scheme string // a key of schemes: tcp, mptcp6, unixgram, unixpacket, vsock...
	Type   int    // unix.SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET
	Proto  int    // socket(2)'s protocol: 0, or unix.IPPROTO_MPTCP
	host   string // inet: an IP literal, a hostname, or "" for every address
	port   int    // inet and vsock
	path   string // unix: a path, or "@name" for an abstract address
	cid    uint32 // vsock
}

// MaxUnixPath is the longest unix socket path (or abstract name after its
// '@') accepted: sun_path holds 108 bytes, one of them the terminating NUL
// that systemd and most clients require.
const MaxUnixPath = 107

// addrForm is how a scheme's address is written.
type addrForm int

const (
	inetAddr  addrForm = iota // HOST:PORT
	unixAddr                  // /path or @abstract
	vsockAddr                 // CID:PORT
)

// scheme is what a --listen scheme creates.
type scheme struct {
	typ, proto int
	form       addrForm
}

// schemes maps each --listen scheme to its socket. A scheme ending in 4 or
// 6 takes that IP family only.
var schemes = map[string]scheme{
	"tcp": {typ: unix.SOCK_STREAM}, "tcp4": {typ: unix.SOCK_STREAM}, "tcp6": {typ: unix.SOCK_STREAM},
	"udp": {typ: unix.SOCK_DGRAM}, "udp4": {typ: unix.SOCK_DGRAM}, "udp6": {typ: unix.SOCK_DGRAM},
	"mptcp":  {typ: unix.SOCK_STREAM, proto: unix.IPPROTO_MPTCP},
	"mptcp4": {typ: unix.SOCK_STREAM, proto: unix.IPPROTO_MPTCP},
	"mptcp6": {typ: unix.SOCK_STREAM, proto: unix.IPPROTO_MPTCP},
	"unix":   {typ: unix.SOCK_STREAM, form: unixAddr}, "unixgram": {typ: unix.SOCK_DGRAM, form: unixAddr},
	"unixpacket": {typ: unix.SOCK_SEQPACKET, form: unixAddr},
	"vsock":      {typ: unix.SOCK_STREAM, form: vsockAddr},
}

// schemeList names the schemes for an error message.
const schemeList = "tcp, tcp4, tcp6, udp, udp4, udp6, mptcp, mptcp4, mptcp6, unix, unixgram, unixpacket, vsock"

// ParseURL checks the syntax of a --listen URL. Its errors do not
// repeat the URL, so a flag parser can put them after it. Accepted forms:
//
//	tcp://HOST:PORT  tcp4://HOST:PORT  tcp6://HOST:PORT   (HOST: an IP, [IPv6], a name, or empty)
//	udp://HOST:PORT  udp4://HOST:PORT  udp6://HOST:PORT
//	mptcp://HOST:PORT  mptcp4://HOST:PORT  mptcp6://HOST:PORT   (TCP with IPPROTO_MPTCP)
//	unix:///path     unix://@abstract  unixgram:///path  unixgram://@abstract
//	unixpacket:///path  unixpacket://@abstract   (SOCK_SEQPACKET)
//	vsock://CID:PORT (CID "any" or -1 for VMADDR_CID_ANY)
func ParseURL(raw string) (Endpoint, error) {
	name, rest, ok := strings.Cut(raw, "://")
	if !ok || rest == "" {
		return Endpoint{}, errors.New("want SCHEME://ADDRESS, e.g. tcp://127.0.0.1:3000")
	}
	sc, ok := schemes[name]
	if !ok {
		return Endpoint{}, fmt.Errorf("unknown scheme %q (%s)", name, schemeList)
	}
	e := Endpoint{URL: raw, Scheme: name, Type: sc.typ, Proto: sc.proto}
	var err error
	switch sc.form {
	case unixAddr:
		e.path, err = unixPath(rest)
	case vsockAddr:
		e.cid, e.port, err = parseVsock(rest)
	default:
		e.host, e.port, err = hostPort(name, rest)
	}
	return e, err
}

// Stream reports whether the endpoint is a stream socket.
func (e Endpoint) Stream() bool { return e.Type == unix.SOCK_STREAM }

func unixPath(p string) (string, error) {
	name := strings.TrimPrefix(p, "@")
	switch {
	case name == "":
		return "", errors.New("empty unix socket path")
	case len(name) > MaxUnixPath:
		return "", fmt.Errorf("unix socket path is %d bytes long; the limit is %d", len(name), MaxUnixPath)
	}
	return p, nil
}

func hostPort(scheme, hostport string) (string, int, error) {
	host, portStr, err := net.SplitHostPort(hostport)
	if err != nil {
		return "", 0, fmt.Errorf("want HOST:PORT or [IPv6]:PORT after %s://, e.g. %s://127.0.0.1:3000", scheme, scheme)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return "", 0, fmt.Errorf("bad port %q: want 0 to 65535", portStr)
	}
	if ip := net.ParseIP(host); ip != nil && !familyFits(scheme, ip.To4() != nil) {
		return "", 0, fmt.Errorf("%s is not an %s address", host, map[byte]string{'4': "IPv4", '6': "IPv6"}[scheme[len(scheme)-1]])
	}
	return host, int(port), nil
}

// familyFits reports whether an address of the family (is4) suits scheme:
// tcp4/udp4/mptcp4 take IPv4 only, tcp6/udp6/mptcp6 IPv6 only, the others
// either.
func familyFits(scheme string, is4 bool) bool {
	switch scheme[len(scheme)-1] {
	case '4':
		return is4
	case '6':
		return !is4
	}
	return true
}

func parseVsock(s string) (cid uint32, port int, err error) {
	cidStr, portStr, ok := strings.Cut(s, ":")
	if !ok {
		return 0, 0, errors.New("want vsock://CID:PORT, e.g. vsock://any:3000")
	}
	cid = unix.VMADDR_CID_ANY
	if cidStr != "any" && cidStr != "-1" {
		c, err := strconv.ParseUint(cidStr, 10, 32)
		if err != nil {
			return 0, 0, fmt.Errorf("bad vsock CID %q: want a number or any", cidStr)
		}
		cid = uint32(c)
	}
	p, err := strconv.ParseUint(portStr, 10, 32)
	if err != nil {
		return 0, 0, fmt.Errorf("bad vsock port %q", portStr)
	}
	if p == 0 {
		p = unix.VMADDR_PORT_ANY // like port 0 for inet: the kernel picks one
	}
	return cid, int(p), nil
}
