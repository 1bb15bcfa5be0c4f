// Package activate starts a server the way systemd does: with listening
// sockets as fds 3.., LISTEN_FDS, LISTEN_FDNAMES and a LISTEN_PID that
// names the server itself. The server runs as PID 1 of a new PID namespace
// (CLONE_NEWPID, so root is needed), which makes LISTEN_PID=1 right before
// it is even started, without a shell in between that would add its own
// start-up time to every measurement.
package activate

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"github.com/echo-activation/echo-server/engine/echotest"
)

// Socket is a socket held by the harness, as systemd holds it.
type Socket = echotest.Socket

// Listen creates a socket for the server: see echotest.Listen.
func Listen(name, network, dir string) (Socket, error) { return echotest.Listen(name, network, dir) }

// Command returns the server command with sockets passed as fds 3.. and
// extra environment variables; start it with Start.
func Command(server string, args []string, sockets []Socket, env ...string) *exec.Cmd {
	cmd := exec.Command(server, args...)
	names := make([]string, len(sockets))
	for i, s := range sockets {
		cmd.ExtraFiles = append(cmd.ExtraFiles, s.File)
		names[i] = s.Name
	}
	cmd.Env = append(os.Environ(), fmt.Sprintf("LISTEN_FDS=%d", len(sockets)),
		"LISTEN_PID=1", "LISTEN_FDNAMES="+strings.Join(names, ":"))
	cmd.Env = append(cmd.Env, env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID, Pdeathsig: syscall.SIGKILL}
	return cmd
}
