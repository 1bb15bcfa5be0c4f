package engine

import (
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest"
	"github.com/echo-activation/echo-server/engine/listen"
	"golang.org/x/sys/unix"
)

// TestListenURLs: each --listen URL makes the socket its scheme names, and
// Classify sees it so (family, type, the bound address, the URL as name).
func TestListenURLs(t *testing.T) {
	dir := echotest.TempDir(t)
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
		{url: "unixpacket://" + dir + "/p.sock", network: "unixpacket"},
		{url: "unixpacket://@echo-listen-test-p", network: "unixpacket"},
		{url: "mptcp://localhost:0", network: "mptcp4", addr: "127.0.0.1"},
		{url: "mptcp6://[::1]:0", network: "mptcp6", addr: "::1"},
		{url: "unix://" + dir + "/regular", errHas: "a file that is not a socket is there"},
		{url: "unix://" + dir + "/no-dir/a.sock", errHas: "no such file or directory"},
	}
	if err := os.WriteFile(dir+"/regular", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			fd, err := listen.Listen(tt.url)
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
				if strings.HasPrefix(tt.url, "mptcp") {
					echotest.Skip(t, "no MPTCP here: %v", err)
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

// TestListenDualStack: tcp://:0 and udp://:0 are one IPv6 socket that IPv4
// clients reach too (only loopback traffic), while tcp6:// stays IPv6 only.
func TestListenDualStack(t *testing.T) {
	for _, tt := range []struct {
		url    string
		v6only int
	}{{"tcp://:0", 0}, {"udp://:0", 0}, {"tcp://[::]:0", 0}, {"tcp6://:0", 1}, {"udp6://[::]:0", 1}} {
		t.Run(tt.url, func(t *testing.T) {
			fd, err := listen.Listen(tt.url)
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
