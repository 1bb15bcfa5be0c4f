package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest"
)

// TestBadFDsBesideGoodOnes: a regular file, a closed fd number and an
// unsupported socket among good sockets each get one log line naming the fd
// and what it is, and the good sockets are still served. The Go runtime
// fills a closed fd number with its own cgroup file before main runs, so
// that fd is logged as the regular file it has become, with its path (the
// engine's own TestClassify covers a truly closed fd).
func TestBadFDsBesideGoodOnes(t *testing.T) {
	dir := echotest.TempDir(t)
	regular, err := os.CreateTemp(dir, "regular")
	if err != nil {
		t.Fatal(err)
	}
	defer regular.Close()
	tcp, udp := listenFamily(t, "tcp4", dir), listenFamily(t, "udp4", dir)
	files := []*os.File{regular, nil, tcp.File, seqpacketFile(t), udp.File}
	names := []string{"config", "gone", "tcp", "seq", "udp"}
	p := startActivated(t, files, names)
	p.WaitLog(t, "msg=serving", 2)
	checkEcho(t, testSocket{Name: "tcp", Network: "tcp4", Addr: tcp.Addr}, dir)
	checkEcho(t, testSocket{Name: "udp", Network: "udp4", Addr: udp.Addr}, dir)
	log := p.Stderr.String()
	for _, want := range []string{
		"fd 3 (config): not a socket but a regular file",
		"fd 4 (gone): not a",
		"fd 6 (seq): AF_UNIX SOCK_SEQPACKET socket not listening: unsupported (pass a listening one)",
	} {
		if strings.Count(log, want) != 1 {
			t.Errorf("want one log line with %q", want)
		}
	}
	if code := p.Terminate(t, 15*time.Second); code != 0 {
		t.Fatalf("exit code = %d", code)
	}
}

// TestRefusals: starts that cannot serve anything end with a clear message
// and a non-zero exit, never a panic.
func TestRefusals(t *testing.T) {
	dir := echotest.TempDir(t)
	regular, err := os.CreateTemp(dir, "regular")
	if err != nil {
		t.Fatal(err)
	}
	defer regular.Close()
	tests := []struct {
		name  string
		env   []string // LISTEN_* (LISTEN_PID is the child's pid unless given); none: started directly
		files []*os.File
		args  []string
		code  int
		want  string
	}{
		{name: "no activation, no --listen", code: 2, want: "no sockets: start me with socket activation"},
		{name: "LISTEN_FDS not a number", env: []string{"LISTEN_FDS=three"}, code: 2, want: `LISTEN_FDS=\"three\": not a number`},
		{name: "LISTEN_FDS negative", env: []string{"LISTEN_FDS=-2"}, code: 2, want: "negative"},
		{name: "LISTEN_FDS huge", env: []string{"LISTEN_FDS=4294967296"}, code: 2, want: "more than 65536 fds"},
		{name: "LISTEN_PID another process", env: []string{"LISTEN_FDS=1", "LISTEN_PID=1"}, code: 2, want: "names another process"},
		{name: "LISTEN_PID not a number", env: []string{"LISTEN_FDS=1", "LISTEN_PID=abc"}, code: 2, want: "not a positive process id"},
		{name: "names do not match fds", env: []string{"LISTEN_FDS=1", "LISTEN_FDNAMES=a:b"}, files: []*os.File{regular}, code: 2, want: "has 2 names for 1 fds"},
		{name: "only a regular file", env: []string{"LISTEN_FDS=1"}, files: []*os.File{regular}, code: 1, want: "nothing to serve"},
		{name: "both activation and --listen", env: []string{"LISTEN_FDS=0"}, args: []string{"--listen", "tcp://127.0.0.1:0"}, code: 2, want: "use one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := execServer(tt.args...)
			if len(tt.env) > 0 {
				cmd = echotest.Activation{Files: tt.files, Env: tt.env}.Command(binary, tt.args...)
			}
			p := startCmd(t, cmd)
			if code := p.Wait(t, 10*time.Second); code != tt.code {
				t.Fatalf("exit code = %d, want %d; stderr:\n%s", code, tt.code, p.Stderr.String())
			}
			out := p.Stderr.String()
			if !strings.Contains(out, tt.want) || strings.Contains(out, "goroutine ") {
				t.Fatalf("stderr lacks %q or shows a panic:\n%s", tt.want, out)
			}
		})
	}
}
