package fleet

import (
	"os/exec"
	"testing"

	"github.com/echo-activation/echo-server/engine/echotest"
)

// proc is a started child process (echotest.Proc, the harness the
// command's tests use too).
type proc = echotest.Proc

// start runs cmd with its stderr captured; the test's cleanup kills it if
// it is still running, and prints its log if the test failed.
func start(t *testing.T, name string, cmd *exec.Cmd) *proc {
	t.Helper()
	return echotest.Start(t, name, cmd)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
