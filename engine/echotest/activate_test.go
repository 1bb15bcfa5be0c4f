package echotest

import (
	"os"
	"strings"
	"testing"
)

// report is a "server" that prints what an activated server would read:
// its pid, LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES, X, and what fds 3 and 4 are.
const report = `echo "pid=$$ listen_pid=$LISTEN_PID fds=$LISTEN_FDS names=${LISTEN_FDNAMES-unset} x=${X-unset}"; ` +
	`for fd in 3 4; do readlink /proc/self/fd/$fd || echo none; done`

type activationCase struct {
	name string
	act  Activation
	want []string // substrings of the report; without Env, pid must equal listen_pid too
}

func TestActivationCommand(t *testing.T) {
	t.Setenv("LISTEN_FDNAMES", "from-the-test-process") // must not reach the server
	dir := t.TempDir()
	a, b := listenT(t, "a", "tcp4", dir), listenT(t, "b", "unixgram", dir)
	tests := []activationCase{
		{name: "sockets", act: NewActivation(a, b), want: []string{"fds=2 names=a:b x=unset", "socket:[", "socket:["}},
		{name: "no names", act: Activation{Files: []*os.File{a.File}}, want: []string{"fds=1 names=unset", "socket:[", "none"}},
		{name: "env replaces LISTEN_FDS and LISTEN_PID", act: Activation{Env: []string{"LISTEN_FDS=three", "LISTEN_PID=7"}},
			want: []string{"listen_pid=7 fds=three"}},
		{name: "prefix execs in place", act: Activation{Files: []*os.File{a.File}, Prefix: []string{"env", "X=1"}},
			want: []string{"fds=1 names=unset x=1"}},
	}
	if os.Geteuid() == 0 {
		tests = append(tests, activationCase{name: "pid namespace", act: Activation{Files: []*os.File{a.File}, PIDNamespace: true}, want: []string{"pid=1 listen_pid=1 fds=1"}})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := tt.act.Command("/bin/sh", "-c", report).Output()
			if err != nil {
				t.Fatal(err)
			}
			got := string(out)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("want %q in:\n%s", w, got)
				}
			}
			if tt.act.Env == nil && !samePID(got) {
				t.Errorf("LISTEN_PID is not the server's pid:\n%s", got)
			}
		})
	}
}

// samePID reports whether the report's pid and listen_pid agree.
func samePID(report string) bool {
	var pid, listenPID string
	for _, f := range strings.Fields(report) {
		if v, ok := strings.CutPrefix(f, "pid="); ok {
			pid = v
		}
		if v, ok := strings.CutPrefix(f, "listen_pid="); ok {
			listenPID = v
		}
	}
	return pid != "" && pid == listenPID
}

func listenT(t *testing.T, name, network, dir string) Socket {
	t.Helper()
	s, err := Listen(name, network, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.File.Close() })
	return s
}
