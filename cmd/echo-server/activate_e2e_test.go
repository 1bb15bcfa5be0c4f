package main

import (
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest"
)

// freePort returns a port that was free on addr a moment ago.
func freePort(t *testing.T, network, host string) int {
	t.Helper()
	if strings.HasPrefix(network, "udp") {
		pc, err := net.ListenPacket(network, net.JoinHostPort(host, "0"))
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		return pc.LocalAddr().(*net.UDPAddr).Port
	}
	ln, err := net.Listen(network, net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestSystemdSocketActivate starts the server with the real
// systemd-socket-activate, once with stream sockets and once with
// --datagram, every family named with --fdname.
func TestSystemdSocketActivate(t *testing.T) {
	ssa := echotest.NeedTool(t, "systemd-socket-activate", "systemd")
	for _, run := range []struct {
		name     string
		flags    []string
		families []string
	}{
		{name: "stream", families: []string{"tcp4", "tcp6", "unix"}},
		{name: "datagram", flags: []string{"--datagram"}, families: []string{"udp4", "udp6", "unixgram"}},
	} {
		t.Run(run.name, func(t *testing.T) {
			dir := echotest.TempDir(t)
			args := append([]string{}, run.flags...)
			var socks []testSocket
			for _, fam := range run.families {
				s := activationSocket(t, fam, dir)
				socks = append(socks, s)
				args = append(args, "-l", s.Addr)
			}
			args = append(args, "--fdname="+strings.Join(run.families, ":"), binary, "--loops", "1")
			p := startCmd(t, exec.Command(ssa, args...))
			p.WaitLog(t, "Listening on", len(socks))
			// The first client makes systemd-socket-activate exec the server;
			// the kernel queues its connection or datagram meanwhile.
			for _, s := range socks {
				checkEcho(t, s, dir)
				p.WaitLog(t, "name="+s.Name+" ", 1)
			}
			if code := p.Terminate(t, 15*time.Second); code != 0 {
				t.Fatalf("exit code = %d", code)
			}
		})
	}
}

// activationSocket picks an address for systemd-socket-activate -l.
func activationSocket(t *testing.T, family, dir string) testSocket {
	s := testSocket{Name: family, Network: family}
	switch family {
	case "tcp4", "udp4":
		s.Addr = fmt.Sprintf("127.0.0.1:%d", freePort(t, family, "127.0.0.1"))
	case "tcp6", "udp6":
		s.Addr = fmt.Sprintf("[::1]:%d", freePort(t, family, "::1"))
	default:
		s.Addr = filepath.Join(dir, family+".sock")
	}
	return s
}

// TestEmptyNetworkNamespace runs the server as --network=none would: in a
// fresh network namespace (unshare -n) holding only a down loopback. It
// still echoes on the sockets it inherited from the host namespace, while a
// connection opened from its namespace to a host listener fails.
func TestEmptyNetworkNamespace(t *testing.T) {
	unshare := echotest.NeedTool(t, "unshare", "util-linux")
	nsenter := echotest.NeedTool(t, "nsenter", "util-linux")
	dir := echotest.TempDir(t)
	socks := []testSocket{listenFamily(t, "tcp4", dir), listenFamily(t, "udp6", dir), listenFamily(t, "unix", dir)}
	files, names := filesAndNames(socks)
	p := startCmd(t, echotest.Activation{Files: files, Names: names, Prefix: []string{unshare, "-n"}}.Command(binary))
	p.WaitLog(t, "msg=serving", len(socks))
	for _, s := range socks {
		checkEcho(t, s, dir)
	}

	host, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	go func() {
		for c, err := host.Accept(); err == nil; c, err = host.Accept() {
			c.Close()
		}
	}()
	dial := func(args ...string) (string, error) {
		out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
		return string(out), err
	}
	if out, err := dial("socat", "-T2", "/dev/null", "tcp4:"+host.Addr().String()); err != nil {
		t.Fatalf("control: the host listener is not reachable from the host: %v\n%s", err, out)
	}
	pid := fmt.Sprint(p.Cmd.Process.Pid)
	out, err := dial(nsenter, "-t", pid, "-n", "socat", "-T2", "/dev/null", "tcp4:"+host.Addr().String())
	if err == nil || !strings.Contains(out, "Network is unreachable") {
		t.Fatalf("a connection from the server's namespace did not fail as unreachable: %v\n%s", err, out)
	}
	if code := p.Terminate(t, 15*time.Second); code != 0 {
		t.Fatalf("exit code = %d", code)
	}
}
