package main

import (
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine"
	"github.com/echo-activation/echo-server/engine/echotest"
	"golang.org/x/sys/unix"
)

// mptcpListener is a listening MPTCP socket on 127.0.0.1, as systemd makes
// for SocketProtocol=mptcp (systemd-socket-activate has no such option), as
// a file to pass to the server; the caller closes it.
func mptcpListener(t *testing.T) (*os.File, string) {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, unix.IPPROTO_MPTCP)
	if err != nil {
		echotest.Skip(t, "no MPTCP on this kernel (sysctl net.mptcp.enabled=1, CONFIG_MPTCP): %v", err)
	}
	f := os.NewFile(uintptr(fd), "mptcp")
	t.Cleanup(func() { _ = f.Close() })
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 128); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return f, engine.SockaddrString(sa)
}

// checkMPTCPEcho echoes byte-exact over a connection that is MPTCP indeed
// (no fallback to plain TCP).
func checkMPTCPEcho(t *testing.T, network, addr string) {
	t.Helper()
	d := net.Dialer{Timeout: 10 * time.Second}
	d.SetMultipathTCP(true)
	c, err := d.Dial(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, n := range streamSizes {
		if err := echotest.Stream(c, echotest.Payload(n, 5), 30*time.Second); err != nil {
			t.Fatalf("%s %s, %d bytes: %v", network, addr, n, err)
		}
	}
	if mp, err := c.(*net.TCPConn).MultipathTCP(); !mp || err != nil {
		t.Fatalf("%s: the connection fell back to TCP (MultipathTCP = %v, %v)", addr, mp, err)
	}
}

// TestMPTCPActivated: an inherited MPTCP listener is served and named
// mptcp4 in the serving line, the start-up line and the metrics labels.
func TestMPTCPActivated(t *testing.T) {
	ln, addr := mptcpListener(t)
	metrics := listenFamily(t, "tcp4", "")
	p := startActivated(t, []*os.File{ln, metrics.File}, []string{"mp", "metrics"})
	p.WaitLog(t, "echo-server started", 1)
	checkMPTCPEcho(t, "tcp4", addr)
	for _, want := range []string{"msg=serving name=mp network=mptcp4 addr=" + addr, `sockets="mptcp4 ` + addr + ` (mp)`} {
		p.WaitLog(t, want, 1)
	}
	body := scrape(t, "http://"+metrics.Addr+"/metrics")
	if want := `echo_connections_accepted_total{network="mptcp4",socket="mp"} 1`; !strings.Contains(body, want) {
		t.Fatalf("metrics lack %q:\n%s", want, body)
	}
	if code := p.Terminate(t, 15*time.Second); code != 0 {
		t.Fatalf("exit code = %d", code)
	}
}

// TestMPTCPListenFlag: --listen mptcp4:// and mptcp6:// serve MPTCP,
// named so.
func TestMPTCPListenFlag(t *testing.T) {
	ln, _ := mptcpListener(t) // skips where the kernel has no MPTCP
	_ = ln.Close()
	urls := map[string]string{"mptcp4://127.0.0.1:0": "mptcp4", "mptcp6://[::1]:0": "mptcp6"}
	var args []string
	for u := range urls {
		args = append(args, "--listen", u)
	}
	p := startCmd(t, execServer(args...))
	p.WaitLog(t, "echo-server started", 1)
	addrs := serverAddrs(p.Stderr.String())
	for u, network := range urls {
		if addrs[u][0] != network {
			t.Fatalf("%s: serving as %q, want %s:\n%s", u, addrs[u][0], network, p.Stderr.String())
		}
		checkMPTCPEcho(t, strings.Replace(network, "mptcp", "tcp", 1), addrs[u][1])
		p.WaitLog(t, network+" "+addrs[u][1]+" ("+u+")", 1)
	}
	if code := p.Terminate(t, 15*time.Second); code != 0 {
		t.Fatalf("exit code = %d", code)
	}
}
