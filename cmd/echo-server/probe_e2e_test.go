package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest"
)

// runProbe runs the built binary's probe subcommand, as an exec health
// check would, and returns its exit code and output.
func runProbe(t *testing.T, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, binary, append([]string{"probe"}, args...)...).CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case errors.As(err, &ee) && ctx.Err() == nil:
		return ee.ExitCode(), string(out)
	}
	t.Fatalf("probe %q: %v (%s)", args, err, out)
	return -1, ""
}

// probeCase is one probe run and what it must say.
type probeCase struct {
	name string
	args []string
	code int
	want string // in the one line of output
}

func (tc probeCase) run(t *testing.T) {
	t.Helper()
	code, out := runProbe(t, tc.args...)
	if code != tc.code || !strings.Contains(out, tc.want) || strings.Count(out, "\n") != 1 {
		t.Errorf("probe %q: exit %d, output %q; want exit %d and one line with %q", tc.args, code, out, tc.code, tc.want)
	}
}

// abstractUnix is a listening unix socket with an abstract address.
func abstractUnix(t *testing.T) testSocket {
	ln, err := net.Listen("unix", "@echo-probe-test-"+strings.ReplaceAll(t.Name(), "/", "-"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := ln.(*net.UnixListener).File()
	_ = ln.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return testSocket{Name: "abstract", Network: "unix", Addr: ln.Addr().String(), File: f}
}

// TestProbeEveryScheme: against a real server, every scheme passes.
func TestProbeEveryScheme(t *testing.T) {
	dir := echotest.TempDir(t)
	socks := append(familySockets(t, dir), abstractUnix(t))
	byName := map[string]testSocket{}
	for _, s := range socks {
		byName[s.Name] = s
	}
	tcpMetrics := listenFamily(t, "tcp4", "")
	unixMetrics, err := echotest.Listen("metrics", "unix", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer unixMetrics.File.Close()
	files, names := filesAndNames(socks)
	files = append(files, tcpMetrics.File, unixMetrics.File)
	p := startActivated(t, files, append(names, "metrics", "metrics"))
	p.WaitLog(t, "msg=serving", len(files))
	enc := url.PathEscape(unixMetrics.Addr)
	for _, tc := range []probeCase{
		{"tcp", []string{"tcp://" + byName["tcp4"].Addr}, 0, "300 bytes echoed"},
		{"tcp4", []string{"tcp4://" + byName["tcp4"].Addr}, 0, "300 bytes echoed"},
		{"tcp6", []string{"tcp6://" + byName["tcp6"].Addr}, 0, "300 bytes echoed"},
		{"udp", []string{"udp://" + byName["udp4"].Addr}, 0, "300 bytes echoed"},
		{"udp4", []string{"--size", "1400", "udp4://" + byName["udp4"].Addr}, 0, "1400 bytes echoed"},
		{"udp6", []string{"udp6://" + byName["udp6"].Addr}, 0, "300 bytes echoed"},
		{"unix", []string{"unix://" + byName["unix"].Addr}, 0, "300 bytes echoed"},
		{"unix abstract", []string{"unix://" + byName["abstract"].Addr}, 0, "300 bytes echoed"},
		{"unixgram", []string{"unixgram://" + byName["unixgram"].Addr}, 0, "300 bytes echoed"},
		{"unixgram bound path", []string{"unixgram://" + byName["unixgram"].Addr, "--bind", dir + "/client.sock"}, 0, "300 bytes echoed"},
		{"http readyz", []string{"http://" + tcpMetrics.Addr + "/readyz"}, 0, "status 200 OK"},
		{"http livez", []string{"--timeout", "5s", "http://" + tcpMetrics.Addr + "/livez"}, 0, "status 200 OK"},
		{"http+unix readyz", []string{"http+unix://" + enc + "/readyz"}, 0, "status 200 OK"},
		{"http unknown path", []string{"http://" + tcpMetrics.Addr + "/healthz"}, 1, "status 404"},
	} {
		t.Run(tc.name, tc.run)
	}
	if _, err := os.Stat(dir + "/client.sock"); !os.IsNotExist(err) {
		t.Errorf("the probe left its client socket behind: %v", err)
	}
}

// TestProbeFailures: a broken echo, nothing listening, no answer, a 503,
// and bad usage each exit 1 with one line that says so.
func TestProbeFailures(t *testing.T) {
	dir := echotest.TempDir(t)
	short := func(c net.Conn) { buf := readPayload(c); _, _ = c.Write(buf[:len(buf)/2]) }
	cases := []probeCase{
		{"tcp wrong byte", []string{"tcp://" + streamServer(t, corruptStream)}, 1, "byte 17 of 300 differs"},
		{"tcp short echo", []string{"tcp://" + streamServer(t, short)}, 1, "connection closed after 150 of 300 bytes"},
		{"tcp no echo", []string{"--timeout", "300ms", "tcp://" + streamServer(t, silentStream)}, 1, "no full echo within 300ms: 0 of 300 bytes"},
		{"tcp nothing listening", []string{"tcp://" + closedAddr(t, "tcp4")}, 1, "connection refused"},
		{"udp wrong byte", []string{"udp://" + datagramServer(t, corrupt)}, 1, "byte 17 of 300 differs"},
		{"udp extra byte", []string{"udp4://" + datagramServer(t, func(b []byte) []byte { return append(b, 0) })}, 1, "301 bytes back for 300 sent"},
		{"udp no echo", []string{"--timeout", "300ms", "udp://" + datagramServer(t, nil)}, 1, "no full echo within 300ms"},
		{"udp nothing listening", []string{"udp://" + closedAddr(t, "udp4")}, 1, "connection refused"},
		{"unix nothing listening", []string{"unix://" + dir + "/none.sock"}, 1, "no such file or directory"},
		{"unixgram nothing listening", []string{"unixgram://" + dir + "/none.sock"}, 1, "no such file or directory"},
		{"http 503", []string{"http://" + httpServer(t, 503, "draining") + "/readyz"}, 1, "status 503 Service Unavailable: draining"},
		{"http no answer", []string{"--timeout", "300ms", "http://" + streamServer(t, silentStream) + "/readyz"}, 1, "Timeout"},
		{"http nothing listening", []string{"http://" + closedAddr(t, "tcp4") + "/readyz"}, 1, "connection refused"},
		{"http+unix bad socket", []string{"http+unix://%2Fnone%2Fm.sock/readyz"}, 1, "no such file or directory"},
		{"no URL", nil, 1, "want exactly one URL, got 0"},
		{"two URLs", []string{"tcp://127.0.0.1:1", "tcp://127.0.0.1:2"}, 1, "want exactly one URL, got 2"},
		{"unknown scheme", []string{"sctp://127.0.0.1:1"}, 1, `unknown scheme "sctp"`},
		{"bad size", []string{"--size", "0", "tcp://127.0.0.1:1"}, 1, "--size 0"},
		{"bad flag", []string{"--nope", "tcp://127.0.0.1:1"}, 1, "flag provided but not defined"},
	}
	for _, tc := range cases {
		t.Run(tc.name, tc.run)
	}
}

// readPayload reads the probe's 300 bytes.
func readPayload(c net.Conn) []byte {
	buf := make([]byte, 300)
	n, _ := io.ReadFull(c, buf)
	return buf[:n]
}

func corrupt(b []byte) []byte {
	if len(b) > 17 {
		b[17] ^= 0x01
	}
	return b
}

func corruptStream(c net.Conn) { _, _ = c.Write(corrupt(readPayload(c))) }

// silentStream holds the connection open and never answers.
func silentStream(c net.Conn) { _, _ = io.Copy(io.Discard, c) }

// streamServer serves each TCP connection on 127.0.0.1 with handle.
func streamServer(t *testing.T, handle func(net.Conn)) string {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _ = c.SetDeadline(time.Now().Add(10 * time.Second)); handle(c) }()
		}
	}()
	return ln.Addr().String()
}

// datagramServer answers each UDP datagram on 127.0.0.1 with reply(it);
// a nil reply (or a nil func) sends nothing.
func datagramServer(t *testing.T, reply func([]byte) []byte) string {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 65536)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if reply != nil {
				_, _ = pc.WriteTo(reply(buf[:n]), from)
			}
		}
	}()
	return pc.LocalAddr().String()
}

// httpServer answers every request with status and body.
func httpServer(t *testing.T, status int, body string) string {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body+"\n")
	}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// closedAddr is a loopback address where nothing listens any more.
func closedAddr(t *testing.T, network string) string {
	var addr string
	if network == "udp4" {
		pc, err := net.ListenPacket(network, "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr = pc.LocalAddr().String()
		pc.Close()
		return addr
	}
	ln, err := net.Listen(network, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr = ln.Addr().String()
	ln.Close()
	return addr
}
