package listen

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/echo-activation/echo-server/engine/echotest"
	"golang.org/x/sys/unix"
)

func TestParseListenURL(t *testing.T) {
	long := "/" + strings.Repeat("x", MaxUnixPath)
	tests := []struct {
		url    string
		errHas string // "" when the URL must parse
	}{
		{url: "tcp://127.0.0.1:0"},
		{url: "tcp://:3000"},
		{url: "tcp://localhost:3000"},
		{url: "udp6://[::1]:3000"},
		{url: "unix:///run/x.sock"},
		{url: "unix://@abstract"},
		{url: "unix://" + long[:MaxUnixPath]},
		{url: "vsock://any:3000"},
		{url: "mptcp://localhost:3000"},
		{url: "mptcp6://[::1]:0"},
		{url: "unixpacket:///run/p.sock"},
		{url: "unixpacket://@abstract"},
		{url: "mptcp4://[::1]:0", errHas: "::1 is not an IPv4 address"},
		{url: "mptcp6://127.0.0.1:0", errHas: "not an IPv6 address"},
		{url: "unixpacket://@", errHas: "empty unix socket path"},
		{url: "tcp4://[::1]:0", errHas: "::1 is not an IPv4 address"},
		{url: "udp6://127.0.0.1:0", errHas: "not an IPv6 address"},
		{url: "tcp://127.0.0.1:99999", errHas: "bad port"},
		{url: "tcp://127.0.0.1", errHas: "want HOST:PORT"},
		{url: "sctp://127.0.0.1:1", errHas: "unknown scheme"},
		{url: "127.0.0.1:3000", errHas: "want SCHEME://ADDRESS"},
		{url: "vsock://3", errHas: "want vsock://CID:PORT"},
		{url: "vsock://x:1", errHas: "bad vsock CID"},
		{url: "unix://", errHas: "want SCHEME://ADDRESS"},
		{url: "unix://@", errHas: "empty unix socket path"},
		{url: "unix://" + long, errHas: "108 bytes long; the limit is 107"},
		{url: "unixgram://@" + long[1:] + "y", errHas: "the limit is 107"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			_, err := ParseURL(tt.url)
			if (tt.errHas == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.errHas) {
				t.Fatalf("err = %v, want %q", err, tt.errHas)
			}
		})
	}
}

// TestPickAddr: of a name's addresses, tcp:// takes the first IPv4 one (as
// Go's net.Listen does), tcp4:// and tcp6:// the first of their family. (A
// name that does not resolve is tested on the binary, in a network
// namespace of its own, so that no query leaves the machine.)
func TestPickAddr(t *testing.T) {
	v4, v4b, v6 := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2"), netip.MustParseAddr("2001:db8::1")
	mapped := netip.MustParseAddr("::ffff:192.0.2.3")
	tests := []struct {
		scheme string
		ips    []netip.Addr
		want   netip.Addr // invalid: an error
	}{
		{"tcp", []netip.Addr{v6, v4, v4b}, v4},
		{"tcp", []netip.Addr{v6}, v6},
		{"udp", []netip.Addr{mapped, v6}, mapped.Unmap()},
		{"tcp6", []netip.Addr{v4, v6}, v6},
		{"tcp4", []netip.Addr{v6, v4b, v4}, v4b},
		{"tcp4", []netip.Addr{v6}, netip.Addr{}},
		{"tcp6", []netip.Addr{v4}, netip.Addr{}},
	}
	for _, tt := range tests {
		got, err := pickAddr(tt.scheme, "h", tt.ips)
		if got != tt.want || (err != nil) == tt.want.IsValid() {
			t.Errorf("pickAddr(%s, %v) = %v, %v; want %v", tt.scheme, tt.ips, got, err, tt.want)
		}
	}
	ips, err := lookup("LocalHost.")
	if err != nil || len(ips) != 2 || !ips[0].IsLoopback() || !ips[1].IsLoopback() || !ips[1].Is6() {
		t.Errorf("lookup(localhost) = %v, %v; want 127.0.0.1 and ::1 without a query", ips, err)
	}
}

// TestListenUDPPortInUse: a second UDP socket on a bound port fails with
// "address already in use" (no SO_REUSEADDR on UDP, which would share it).
func TestListenUDPPortInUse(t *testing.T) {
	for _, scheme := range []string{"udp", "tcp"} {
		first, err := Listen(scheme + "://127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(first.FD)
		sa, _ := unix.Getsockname(first.FD)
		url := fmt.Sprintf("%s://127.0.0.1:%d", scheme, sa.(*unix.SockaddrInet4).Port)
		if fd, err := Listen(url); err == nil || !errors.Is(err, unix.EADDRINUSE) {
			unix.Close(fd.FD)
			t.Fatalf("%s: second Listen: %v, want address already in use", url, err)
		} else if err.Error() != "listen "+url+": address already in use" {
			t.Fatalf("message %q", err)
		}
	}
}

// TestListenUnixPath: a stale socket file is replaced, a live one (stream,
// datagram or seqpacket, whichever type asks) is refused, and SocketFile.Remove deletes
// only the file Listen made.
func TestListenUnixPath(t *testing.T) {
	dir := echotest.TempDir(t)
	for _, scheme := range []string{"unix", "unixgram", "unixpacket"} {
		path := dir + "/" + scheme + ".sock"
		e, _ := ParseURL(scheme + "://" + path)
		first, file, err := e.Listen()
		if err != nil {
			t.Fatal(err)
		}
		for _, other := range []string{"unix", "unixgram", "unixpacket"} { // a server answers: refused
			e2, _ := ParseURL(other + "://" + path)
			if fd, _, err := e2.Listen(); !errors.Is(err, ErrSocketInUse) {
				unix.Close(fd.FD)
				t.Fatalf("%s over a live %s socket: %v, want ErrSocketInUse", other, scheme, err)
			}
		}
		unix.Close(first.FD) // the file stays: stale now
		second, file2, err := e.Listen()
		if err != nil {
			t.Fatalf("stale %s socket not replaced: %v", scheme, err)
		}
		unix.Close(second.FD)
		if err := file.Remove(); err != nil || !exists(path) {
			t.Fatalf("Remove of the replaced file's record: %v; it must leave the new file alone", err)
		}
		if err := file2.Remove(); err != nil || exists(path) {
			t.Fatalf("Remove: %v; the file must be gone", err)
		}
	}
}

func exists(path string) bool { _, err := os.Lstat(path); return err == nil }
