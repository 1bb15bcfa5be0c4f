package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/echo-activation/echo-server/engine/echotest"
)

// binary is the server built once by TestMain; the tests exec it.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "echo-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "echo-server")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building the server: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a started server process (echotest.Proc, the harness the fleet
// tests use too).
type proc = echotest.Proc

// startActivated runs the server with files as fds 3.. (nil: a closed fd)
// and LISTEN_FDS/LISTEN_FDNAMES set, as systemd would.
func startActivated(t *testing.T, files []*os.File, names []string, args ...string) *proc {
	t.Helper()
	return startCmd(t, execActivated(files, names, args...))
}

// execActivated is the command startActivated runs, for tests that add to
// its environment before starting it. LISTEN_FDNAMES is left unset when
// names is nil.
func execActivated(files []*os.File, names []string, args ...string) *exec.Cmd {
	return echotest.Activation{Files: files, Names: names}.Command(binary, args...)
}

// startCmd starts cmd with its stderr captured (unless the caller set
// cmd.Stderr and feeds p.Stderr itself), and kills it at test end if it is
// still running.
func startCmd(t *testing.T, cmd *exec.Cmd) *proc {
	t.Helper()
	return echotest.Start(t, "server", cmd)
}

// execServer is the server started directly, with args.
func execServer(args ...string) *exec.Cmd {
	cmd := exec.Command(binary, args...)
	cmd.Env = echotest.WithoutListenVars(os.Environ())
	return cmd
}
