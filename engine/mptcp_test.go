package engine

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest"
	"github.com/echo-activation/echo-server/engine/listen"
	"golang.org/x/sys/unix"
)

// needMPTCP skips t (fails it under CI=true) where the kernel refuses
// IPPROTO_MPTCP sockets.
func needMPTCP(t *testing.T) {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, unix.IPPROTO_MPTCP)
	if err != nil {
		echotest.Skip(t, "no MPTCP on this kernel (sysctl net.mptcp.enabled=1, CONFIG_MPTCP): %v", err)
	}
	_ = unix.Close(fd)
}

// dialMPTCP connects with MPTCP on, and fails t unless the connection is
// MPTCP indeed (no fallback to TCP).
func dialMPTCP(t *testing.T, network, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{Timeout: 10 * time.Second}
	d.SetMultipathTCP(true)
	c, err := d.Dial(strings.Replace(network, "mptcp", "tcp", 1), addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if err := echoOnce(c); err != nil {
		t.Fatal(err)
	}
	if mp, err := c.(*net.TCPConn).MultipathTCP(); !mp || err != nil {
		t.Fatalf("the connection fell back to TCP (MultipathTCP = %v, %v)", mp, err)
	}
	return c
}

// TestMPTCPListen: --listen mptcp4:// and mptcp6:// make MPTCP listeners,
// named mptcp4 and mptcp6, that echo byte-exact on both accept paths; the
// server's end of each connection is an MPTCP socket with the TCP options
// set (read back from the kernel).
func TestMPTCPListen(t *testing.T) {
	needMPTCP(t)
	for _, path := range acceptPaths {
		t.Run(path.name, func(t *testing.T) {
			srv, stats := startServerWith(t, path.opts, "mptcp4://127.0.0.1:0", "mptcp6://[::1]:0", "mptcp://localhost:0")
			for i, want := range []string{"mptcp4", "mptcp6", "mptcp4"} {
				st := stats[i]
				if st.Network != want {
					t.Fatalf("%s: network = %q, want %s", st.Name, st.Network, want)
				}
				c := dialMPTCP(t, st.Network, st.Addr)
				for _, size := range []int{1, 64 << 10, 1 << 20} {
					if err := echotest.Stream(c, echotest.Payload(size, uint64(size)), 20*time.Second); err != nil {
						t.Fatalf("%s, %d bytes: %v", st.Network, size, err)
					}
				}
				checkServerEnd(t, st, unix.IPPROTO_MPTCP)
			}
			if got, want := loopAccepted(srv), int64(3); path.loops && got != want {
				t.Fatalf("the loops accepted %d connections, want %d", got, want)
			}
		})
	}
}

// checkServerEnd reads the server's end of the connection to st back from
// the kernel: protocol proto, with every option of tcpOptions. On the Go
// accept path the accepted fd and gnet's dup of it (EnrollContext) are both
// open for a moment after the echo has begun, so it waits, up to 2 s, for
// the one end to be left.
func checkServerEnd(t *testing.T, st SocketStats, proto int) {
	t.Helper()
	_, port, _ := net.SplitHostPort(st.Addr)
	fds := serverEnds(t, port)
	for deadline := time.Now().Add(2 * time.Second); len(fds) > 1 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
		fds = serverEnds(t, port)
	}
	if len(fds) != 1 {
		t.Fatalf("%s: %d server ends of the connection found, want 1", st.Network, len(fds))
	}
	if p, err := unix.GetsockoptInt(fds[0], unix.SOL_SOCKET, unix.SO_PROTOCOL); p != proto {
		t.Errorf("%s: the server's end has protocol %d (%v), want %d", st.Network, p, err, proto)
	}
	for _, o := range tcpOptions {
		if v, err := unix.GetsockoptInt(fds[0], o.level, o.opt); err != nil || v != o.value {
			t.Errorf("%s: option %d/%d = %d (%v), want %d", st.Network, o.level, o.opt, v, err, o.value)
		}
	}
}

// TestMPTCPPlainTCPClient: a client without MPTCP is served by an MPTCP
// listener too, on both accept paths: the kernel falls back to TCP, and the
// server's end is a TCP socket with the TCP options.
func TestMPTCPPlainTCPClient(t *testing.T) {
	needMPTCP(t)
	for _, path := range acceptPaths {
		t.Run(path.name, func(t *testing.T) {
			_, stats := startServerWith(t, path.opts, "mptcp4://127.0.0.1:0")
			c, err := net.Dial("tcp4", stats[0].Addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if err := echotest.Stream(c, echotest.Payload(64<<10, 9), 10*time.Second); err != nil {
				t.Fatal(err)
			}
			checkServerEnd(t, stats[0], unix.IPPROTO_TCP)
		})
	}
}

// TestMPTCPRefusedURLs: the mptcp schemes check their family as tcp4 and
// tcp6 do.
func TestMPTCPRefusedURLs(t *testing.T) {
	for url, errHas := range map[string]string{
		"mptcp4://[::1]:0":     "::1 is not an IPv4 address",
		"mptcp6://127.0.0.1:0": "127.0.0.1 is not an IPv6 address",
		"mptcp://127.0.0.1":    "want HOST:PORT",
	} {
		if _, err := listen.ParseURL(url); err == nil || !strings.Contains(err.Error(), errHas) {
			t.Errorf("%s: err = %v, want %q", url, err, errHas)
		}
	}
}

// TestMPTCPRefusedByKernel: where MPTCP is off (net.mptcp.enabled=0, set
// in a network namespace of the test's own), --listen mptcp:// fails with
// a message that says so.
func TestMPTCPRefusedByKernel(t *testing.T) {
	needMPTCP(t)
	sysctl := echotest.NeedTool(t, "sysctl", "procps")
	ns := newNetns(t)
	var err error
	if werr := ns.do(func() error {
		// A process forked on the namespace's thread: its /proc/sys/net is
		// the namespace's.
		if err := run(sysctl, "-q", "-w", "net.mptcp.enabled=0"); err != nil {
			return err
		}
		_, err = listen.Listen("mptcp://127.0.0.1:0")
		return nil
	}); werr != nil {
		t.Fatal(werr)
	}
	if err == nil || !strings.Contains(err.Error(), "listen mptcp://127.0.0.1:0: this kernel has no MPTCP (sysctl net.mptcp.enabled=0, or CONFIG_MPTCP off)") {
		t.Fatalf("err = %v, want the kernel's refusal explained", err)
	}
}
