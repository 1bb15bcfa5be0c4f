//go:build linux

package echotest

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
)

// Activation is how a test or benchmark starts a server the way systemd
// does: sockets as fds 3.., LISTEN_FDS, LISTEN_FDNAMES and a LISTEN_PID
// that names the server itself. Every test and benchmark that starts an
// activated server builds its command here.
type Activation struct {
	Files []*os.File // fds 3.. in order; a nil entry is a closed fd number
	Names []string   // LISTEN_FDNAMES; nil leaves it unset

	// Env is added last: a LISTEN_FDS or LISTEN_PID here replaces the one
	// the Activation would set (for tests of malformed activation).
	Env []string

	// Prefix is a command that execs the rest in place, so that the pid
	// stays the server's: {"unshare", "-n"}, or a shell that sets a limit.
	Prefix []string

	// PIDNamespace starts the server as PID 1 of a new PID namespace
	// (CLONE_NEWPID: root only) with LISTEN_PID=1, so that no shell runs in
	// between to set LISTEN_PID and add its own start-up time (benchmarks).
	// Otherwise a shell sets LISTEN_PID to its own pid and execs the server.
	// The server gets SIGKILL if the thread that started it exits.
	PIDNamespace bool
}

// NewActivation passes socks in order, named by their Name.
func NewActivation(socks ...Socket) Activation {
	var a Activation
	for _, s := range socks {
		a.Files = append(a.Files, s.File)
		a.Names = append(a.Names, s.Name)
	}
	return a
}

// setListenPID sets LISTEN_PID to the shell's own pid unless the
// environment has one, then execs the server in place: same pid.
const setListenPID = `: "${LISTEN_PID:=$$}"; export LISTEN_PID; exec "$0" "$@"`

// Command returns the command that runs server with args under a, not yet
// started. The inherited environment keeps everything but LISTEN_*.
func (a Activation) Command(server string, args ...string) *exec.Cmd {
	argv := append([]string{server}, args...)
	if !a.PIDNamespace {
		argv = append([]string{"sh", "-c", setListenPID}, argv...)
	}
	argv = append(append([]string{}, a.Prefix...), argv...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.ExtraFiles = a.Files
	cmd.Env = append(WithoutListenVars(os.Environ()), fmt.Sprintf("LISTEN_FDS=%d", len(a.Files)))
	if a.Names != nil {
		cmd.Env = append(cmd.Env, "LISTEN_FDNAMES="+strings.Join(a.Names, ":"))
	}
	if a.PIDNamespace {
		cmd.Env = append(cmd.Env, "LISTEN_PID=1")
		cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID, Pdeathsig: syscall.SIGKILL}
	}
	cmd.Env = append(cmd.Env, a.Env...) // os/exec keeps the last of duplicate keys
	return cmd
}

// WithoutListenVars drops LISTEN_* from env, so that a test run under
// socket activation does not hand its own activation to the server.
func WithoutListenVars(env []string) []string {
	var out []string
	for _, e := range env {
		if !strings.HasPrefix(e, "LISTEN_") {
			out = append(out, e)
		}
	}
	return out
}
