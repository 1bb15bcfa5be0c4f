package engine

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

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
			_, err := ParseListenURL(tt.url)
			if (tt.errHas == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.errHas) {
				t.Fatalf("err = %v, want %q", err, tt.errHas)
			}
		})
	}
}

func TestListenURLs(t *testing.T) {
	dir := tempDir(t)
	tests := []struct {
		url     string
		network string // "" when the URL must be refused
		addr    string // the bound address, port left out; "" not checked
		errHas  string
	}{
		{url: "tcp://127.0.0.1:0", network: "tcp4", addr: "127.0.0.1"},
		{url: "tcp4://127.0.0.1:0", network: "tcp4"},
		{url: "tcp6://[::1]:0", network: "tcp6", addr: "::1"},
		{url: "tcp://[::1]:0", network: "tcp6"},
		{url: "tcp://localhost:0", network: "tcp4", addr: "127.0.0.1"},
		{url: "tcp6://localhost:0", network: "tcp6", addr: "::1"},
		{url: "udp://localhost:0", network: "udp4", addr: "127.0.0.1"},
		{url: "udp://127.0.0.1:0", network: "udp4"},
		{url: "udp6://[::1]:0", network: "udp6"},
		{url: "unix://" + dir + "/a.sock", network: "unix"},
		{url: "unix://@echo-listen-test", network: "unix"},
		{url: "unixgram://" + dir + "/g.sock", network: "unixgram"},
		{url: "vsock://any:0", network: "vsock"},
		{url: "unix://" + dir + "/regular", errHas: "a file that is not a socket is there"},
		{url: "unix://" + dir + "/no-dir/a.sock", errHas: "no such file or directory"},
	}
	if err := writeFile(dir + "/regular"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			fd, err := Listen(tt.url)
			if tt.network == "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) || !strings.HasPrefix(err.Error(), "listen "+tt.url+": ") {
					t.Fatalf("err = %v, want 'listen URL: ...%s'", err, tt.errHas)
				}
				return
			}
			if err != nil {
				if strings.HasPrefix(tt.url, "vsock") {
					echotest.Skip(t, "no vsock here: %v", err)
				}
				t.Fatal(err)
			}
			defer unix.Close(fd.FD)
			s, err := Classify(fd.FD, fd.Name)
			if err != nil || s.Network() != tt.network || s.Name != tt.url {
				t.Fatalf("Classify = %+v, %v; want network %s named by the URL", s, err, tt.network)
			}
			if host, _, _ := net.SplitHostPort(s.Addr); tt.addr != "" && host != tt.addr {
				t.Fatalf("bound to %s, want %s", s.Addr, tt.addr)
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

// TestListenDualStack: tcp://:0 and udp://:0 are one IPv6 socket that IPv4
// clients reach too (only loopback traffic), while tcp6:// stays IPv6 only.
func TestListenDualStack(t *testing.T) {
	for _, tt := range []struct {
		url    string
		v6only int
	}{{"tcp://:0", 0}, {"udp://:0", 0}, {"tcp://[::]:0", 0}, {"tcp6://:0", 1}, {"udp6://[::]:0", 1}} {
		t.Run(tt.url, func(t *testing.T) {
			fd, err := Listen(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			v6only, err := unix.GetsockoptInt(fd.FD, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY)
			unix.Close(fd.FD)
			if err != nil || v6only != tt.v6only {
				t.Fatalf("IPV6_V6ONLY = %d (%v), want %d", v6only, err, tt.v6only)
			}
			if tt.v6only == 0 {
				echoFrom(t, tt.url, "127.0.0.1", "::1")
			}
		})
	}
}

// echoFrom serves url and checks one echo from a client on each host.
func echoFrom(t *testing.T, url string, hosts ...string) {
	t.Helper()
	_, stats := startServer(t, url)
	_, port, _ := net.SplitHostPort(stats[0].Addr)
	network := strings.TrimSuffix(stats[0].Network, "6")
	for _, h := range hosts {
		c, err := net.DialTimeout(network, net.JoinHostPort(h, port), 5*time.Second)
		if err != nil {
			t.Fatalf("dial %s: %v", h, err)
		}
		if network == "udp" {
			err = echotest.Datagram(c, []byte("dual "+h), 5*time.Second)
		} else {
			err = echotest.Stream(c, []byte("dual "+h), 5*time.Second)
		}
		c.Close()
		if err != nil {
			t.Fatalf("echo via %s: %v", h, err)
		}
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
		url := scheme + "://" + SockaddrString(sa)
		if fd, err := Listen(url); err == nil || !errors.Is(err, unix.EADDRINUSE) {
			unix.Close(fd.FD)
			t.Fatalf("%s: second Listen: %v, want address already in use", url, err)
		} else if err.Error() != "listen "+url+": address already in use" {
			t.Fatalf("message %q", err)
		}
	}
}

// TestListenUnixPath: a stale socket file is replaced, a live one (stream or
// datagram, whichever type asks) is refused, and SocketFile.Remove deletes
// only the file Listen made.
func TestListenUnixPath(t *testing.T) {
	dir := tempDir(t)
	for _, scheme := range []string{"unix", "unixgram"} {
		path := dir + "/" + scheme + ".sock"
		e, _ := ParseListenURL(scheme + "://" + path)
		first, file, err := e.Listen()
		if err != nil {
			t.Fatal(err)
		}
		for _, other := range []string{"unix", "unixgram"} { // a server answers: refused
			e2, _ := ParseListenURL(other + "://" + path)
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

func writeFile(path string) error {
	fd, err := unix.Open(path, unix.O_CREAT|unix.O_WRONLY|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	return unix.Close(fd)
}
