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
	Scheme string // tcp, tcp4, tcp6, udp, udp4, udp6, unix, unixgram, vsock
	Type   int    // unix.SOCK_STREAM or unix.SOCK_DGRAM
	host   string // inet: an IP literal, a hostname, or "" for every address
	port   int    // inet and vsock
	path   string // unix: a path, or "@name" for an abstract address
	cid    uint32 // vsock
}

// MaxUnixPath is the longest unix socket path (or abstract name after its
// '@') accepted: sun_path holds 108 bytes, one of them the terminating NUL
// that systemd and most clients require.
const MaxUnixPath = 107

// schemes maps each --listen scheme to its socket type.
var schemes = map[string]int{
	"tcp": unix.SOCK_STREAM, "tcp4": unix.SOCK_STREAM, "tcp6": unix.SOCK_STREAM,
	"udp": unix.SOCK_DGRAM, "udp4": unix.SOCK_DGRAM, "udp6": unix.SOCK_DGRAM,
	"unix": unix.SOCK_STREAM, "unixgram": unix.SOCK_DGRAM, "vsock": unix.SOCK_STREAM,
}

// ParseURL checks the syntax of a --listen URL. Its errors do not
// repeat the URL, so a flag parser can put them after it. Accepted forms:
//
//	tcp://HOST:PORT  tcp4://HOST:PORT  tcp6://HOST:PORT   (HOST: an IP, [IPv6], a name, or empty)
//	udp://HOST:PORT  udp4://HOST:PORT  udp6://HOST:PORT
//	unix:///path     unix://@abstract  unixgram:///path  unixgram://@abstract
//	vsock://CID:PORT (CID "any" or -1 for VMADDR_CID_ANY)
func ParseURL(raw string) (Endpoint, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok || rest == "" {
		return Endpoint{}, errors.New("want SCHEME://ADDRESS, e.g. tcp://127.0.0.1:3000")
	}
	typ, ok := schemes[scheme]
	if !ok {
		return Endpoint{}, fmt.Errorf("unknown scheme %q (tcp, tcp4, tcp6, udp, udp4, udp6, unix, unixgram, vsock)", scheme)
	}
	e := Endpoint{URL: raw, Scheme: scheme, Type: typ}
	var err error
	switch scheme {
	case "unix", "unixgram":
		e.path, err = unixPath(rest)
	case "vsock":
		e.cid, e.port, err = vsockAddr(rest)
	default:
		e.host, e.port, err = hostPort(scheme, rest)
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
// tcp4/udp4 take IPv4 only, tcp6/udp6 IPv6 only, tcp/udp either.
func familyFits(scheme string, is4 bool) bool {
	switch scheme[len(scheme)-1] {
	case '4':
		return is4
	case '6':
		return !is4
	}
	return true
}

func vsockAddr(s string) (cid uint32, port int, err error) {
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
