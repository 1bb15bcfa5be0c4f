package main

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest"
)

// cliRun runs the built binary with args and returns its exit code and output.
func cliRun(t *testing.T, cmd *exec.Cmd) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("%v still running after 20 s", cmd.Args)
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
}

// TestCLI: --help, --version and --man go to stdout with exit 0; a bad flag
// or value is one line on stderr naming it with a hint, exit 2; a failure
// at run time (an address in use, a live unix socket, a name that does not
// resolve) is one line and exit 1. No message shows a Go internal.
func TestCLI(t *testing.T) {
	dir := echotest.TempDir(t)
	busyTCP := holdTCP(t)
	busyUDP := holdUDP(t)
	live := holdUnix(t, dir+"/live.sock")
	longPath := "unix:///" + strings.Repeat("p", 120)
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string // substring; "" means stdout must be empty
		stderr string // substring of the one stderr line; "" means stderr must be empty
	}{
		{name: "help", args: []string{"--help"}, stdout: "-d, --debug"},
		{name: "-h", args: []string{"-h"}, stdout: "  -t, --start-sleep N"},
		{name: "version", args: []string{"--version"}, stdout: "echo-server "},
		{name: "man", args: []string{"--man"}, stdout: ".TH ECHO-SERVER 8"},
		{name: "unknown flag", args: []string{"--frobnicate"}, code: 2, stderr: "unknown flag: --frobnicate (see --help)"},
		{name: "go-style flag", args: []string{"-debug"}, code: 2, stderr: "unknown flag -debug: long flags take two dashes, --debug (see --help)"},
		{name: "go-style flag with value", args: []string{"-loops=2"}, code: 2, stderr: "long flags take two dashes, --loops"},
		{name: "short flags together", args: []string{"-dx"}, code: 2, stderr: "unknown shorthand flag: 'x'"},
		{name: "argument", args: []string{"serve"}, code: 2, stderr: `unexpected argument "serve" (see --help)`},
		{name: "missing value", args: []string{"--loops"}, code: 2, stderr: "flag needs an argument: --loops"},
		{name: "negative loops", args: []string{"--loops", "-1"}, code: 2, stderr: `invalid argument "-1" for "--loops" flag: must be between 0 and`},
		{name: "too many loops", args: []string{"--loops=100000"}, code: 2, stderr: "per CPU) (see --help)"},
		{name: "loops not a number", args: []string{"--loops", "two"}, code: 2, stderr: "not a whole number"},
		{name: "negative max-conns", args: []string{"--max-conns", "-5"}, code: 2, stderr: `"--max-conns" flag: must be between 0 and 1048576`},
		{name: "negative idle", args: []string{"--idle-timeout", "-1s"}, code: 2, stderr: `"--idle-timeout" flag: must not be negative`},
		{name: "tiny idle", args: []string{"--idle-timeout", "1ms"}, code: 2, stderr: "must be 0 or at least 100ms"},
		{name: "negative drain", args: []string{"--drain-timeout=-2s"}, code: 2, stderr: `"--drain-timeout" flag: must not be negative`},
		{name: "long drain", args: []string{"--drain-timeout", "2h"}, code: 2, stderr: "must be at most 1h"},
		{name: "drain not a duration", args: []string{"--drain-timeout", "5"}, code: 2, stderr: "not a duration"},
		{name: "negative -t", args: []string{"-t", "-1"}, code: 2, stderr: `"-t, --start-sleep" flag: must be between 0 and 3600`},
		{name: "bad switch value", args: []string{"--debug=maybe"}, code: 2, stderr: "want true or false"},
		{name: "log format", args: []string{"--log-format", "xml"}, code: 2, stderr: "want one of auto, text, json, journal"},
		{name: "metrics over udp", args: []string{"--metrics-listen", "udp://127.0.0.1:0"}, code: 2, stderr: "metrics are served over HTTP"},
		{name: "two metrics", args: []string{"--metrics-listen", "tcp://127.0.0.1:0", "--metrics-listen", "unix://@m"}, code: 2, stderr: "more than once"},
		{name: "listen no port", args: []string{"--listen", "tcp://127.0.0.1"}, code: 2, stderr: "want HOST:PORT"},
		{name: "listen family", args: []string{"--listen", "tcp4://[::1]:0"}, code: 2, stderr: "::1 is not an IPv4 address"},
		{name: "listen long path", args: []string{"--listen", longPath}, code: 2, stderr: "unix socket path is 121 bytes long; the limit is 107"},
		{name: "no sockets", code: 2, stderr: "no sockets: start me with socket activation"},
		{name: "tcp in use", args: []string{"--listen", "tcp://" + busyTCP}, code: 1, stderr: `msg="listen tcp://` + busyTCP + `: address already in use"`},
		{name: "udp in use", args: []string{"--listen", "udp://" + busyUDP}, code: 1, stderr: "address already in use"},
		{name: "live unix socket", args: []string{"--listen", "unix://" + live}, code: 1, stderr: "a server is listening there already"},
		{name: "not a socket", args: []string{"--listen", "unix://" + dir}, code: 1, stderr: "a file that is not a socket is there"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := cliRun(t, execServer(tt.args...))
			if code != tt.code {
				t.Fatalf("exit code %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
			}
			checkOutput(t, "stdout", stdout, tt.stdout, false)
			checkOutput(t, "stderr", stderr, tt.stderr, true)
			if strings.Contains(stderr+stdout, "engine:") || strings.Contains(stderr, "goroutine ") {
				t.Fatalf("a Go internal in the output:\n%s%s", stdout, stderr)
			}
		})
	}
}

// checkOutput: empty when want is "", else holding want (on one line only).
func checkOutput(t *testing.T, name, got, want string, oneLine bool) {
	t.Helper()
	switch {
	case want == "" && got != "":
		t.Fatalf("%s not empty:\n%s", name, got)
	case !strings.Contains(got, want):
		t.Fatalf("%s lacks %q:\n%s", name, want, got)
	case oneLine && strings.Count(got, "\n") != 1 && want != "":
		t.Fatalf("%s is not one line:\n%s", name, got)
	}
}

// TestHelpListsEachFlagOnce: every flag appears once in --help, as
// "-s, --long" when it has a short alias, and the man page has each too.
func TestHelpListsEachFlagOnce(t *testing.T) {
	_, help, _ := cliRun(t, execServer("--help"))
	_, man, _ := cliRun(t, execServer("--man"))
	for _, s := range flags(defaults()) {
		name := "    --" + s.long
		if s.short != "" {
			name = "-" + s.short + ", --" + s.long
		}
		re := regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(name) + `( |$)`)
		if n := len(re.FindAllString(help, -1)); n != 1 && !s.hidden || n != 0 && s.hidden {
			t.Errorf("%s: %d lines in --help (hidden: %v)", name, n, s.hidden)
		}
		if !s.hidden && !strings.Contains(man, `\-\-`+s.long) {
			t.Errorf("%s missing from the man page", name)
		}
	}
}

// TestUnresolvableName: a --listen name that does not resolve is a run-time
// failure, exit 1. It runs in a network namespace of its own (unshare -n),
// so the lookup fails there without a query leaving the machine.
func TestUnresolvableName(t *testing.T) {
	unshare := echotest.NeedTool(t, "unshare", "util-linux")
	code, _, stderr := cliRun(t, exec.Command(unshare, "-n", binary, "--listen", "tcp://echo-test.invalid:1"))
	if code != 1 || !strings.Contains(stderr, "cannot resolve echo-test.invalid") || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
}

func holdTCP(t *testing.T) string {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String()
}

func holdUDP(t *testing.T) string {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc.LocalAddr().String()
}

// holdUnix is a live unix stream listener at path, as another server's.
func holdUnix(t *testing.T, path string) string {
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return path
}

// serverAddrs maps each --listen URL to the network and address the
// server's "serving" lines report.
func serverAddrs(log string) map[string][2]string {
	out := map[string][2]string{}
	re := regexp.MustCompile(`msg=serving name=(\S+) network=(\S+) addr=(\S+)`)
	for _, m := range re.FindAllStringSubmatch(log, -1) {
		out[m[1]] = [2]string{m[2], m[3]}
	}
	return out
}

// portOf is the port of a host:port address.
func portOf(t *testing.T, addr string) int {
	_, p, err := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	if err != nil || n == 0 {
		t.Fatalf("no port in %q", addr)
	}
	return n
}

// TestManPage: the generated man page is valid troff (groff -ww reports
// every warning) and holds the sections an operator looks for.
func TestManPage(t *testing.T) {
	groff := echotest.NeedTool(t, "groff", "groff-base")
	_, man, _ := cliRun(t, execServer("--man"))
	cmd := exec.Command(groff, "-man", "-ww", "-z")
	cmd.Stdin = strings.NewReader(man)
	if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
		t.Fatalf("groff: %v\n%s", err, out)
	}
	for _, sec := range []string{".SH NAME", ".SH SYNOPSIS", ".SH OPTIONS", `.SH "LISTEN URLS"`, `.SH "SIGNALS"`, `.SH "EXIT STATUS"`, `.SH "ENVIRONMENT"`} {
		if !strings.Contains(man, sec) {
			t.Errorf("no %s", sec)
		}
	}
}

// TestReadmeListsEveryFlag: the README's Flags table has a row for every
// flag --help lists, and no row for a flag that does not exist.
func TestReadmeListsEveryFlag(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(b), "\n## Flags\n")
	section, _, _ = strings.Cut(section, "\n## ")
	rows := regexp.MustCompile("(?m)^\\| `(-\\w`, `)?--([a-z0-9-]+)").FindAllStringSubmatch(section, -1)
	inReadme := map[string]bool{}
	for _, r := range rows {
		inReadme[r[2]] = true
	}
	known := map[string]bool{}
	for _, s := range flags(defaults()) {
		known[s.long] = true
		if !s.hidden && !inReadme[s.long] && s.long != "help" {
			t.Errorf("--%s has no row in the README's Flags table", s.long)
		}
	}
	for name := range inReadme {
		if !known[name] {
			t.Errorf("the README's Flags table has --%s, which is not a flag", name)
		}
	}
}
