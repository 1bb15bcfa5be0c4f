// Package activate starts a server the way systemd does: with listening
// sockets as fds 3.., LISTEN_FDS, LISTEN_FDNAMES and a LISTEN_PID that
// names the server itself. The server runs as PID 1 of a new PID namespace
// (CLONE_NEWPID, so root is needed), which makes LISTEN_PID=1 right before
// it is even started, without a shell in between that would add its own
// start-up time to every measurement.
package activate

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// Socket is a socket held by the harness, as systemd holds it.
type Socket struct {
	Name, Network, Addr string
	File                *os.File
}

// Listen creates a socket on loopback or, for unix networks, in dir. The
// networks are tcp4, tcp6, udp4, udp6, unix and unixgram.
func Listen(name, network, dir string) (Socket, error) {
	addr := map[string]string{"tcp4": "127.0.0.1:0", "udp4": "127.0.0.1:0", "tcp6": "[::1]:0", "udp6": "[::1]:0"}[network]
	if addr == "" {
		addr = filepath.Join(dir, name+".sock")
	}
	s := Socket{Name: name, Network: network}
	var err error
	switch network {
	case "tcp4", "tcp6", "unix":
		var ln net.Listener
		if ln, err = net.Listen(network, addr); err == nil {
			if ul, ok := ln.(*net.UnixListener); ok {
				ul.SetUnlinkOnClose(false)
			}
			s.Addr = ln.Addr().String()
			s.File, err = ln.(interface{ File() (*os.File, error) }).File()
			_ = ln.Close()
		}
	default:
		var pc net.PacketConn
		if pc, err = net.ListenPacket(network, addr); err == nil {
			s.Addr = pc.LocalAddr().String()
			s.File, err = pc.(interface{ File() (*os.File, error) }).File()
			_ = pc.Close()
		}
	}
	return s, err
}

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
