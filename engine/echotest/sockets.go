//go:build linux

package echotest

import (
	"context"
	"net"
	"os"
	"path/filepath"
)

// Socket is a socket made to be handed to a server as an inherited fd,
// the way systemd holds the sockets of a .socket unit.
type Socket struct {
	Name, Network, Addr string
	File                *os.File // a duplicate for ExtraFiles; the caller closes it
}

// Listen creates a listening (stream) or bound (datagram) socket: tcp4 and
// udp4 on 127.0.0.1, tcp6 and udp6 on ::1, unix and unixgram at
// dir/NAME.sock, each on a port or path of its own. TCP listeners are plain
// TCP, as systemd's ListenStream= makes them (Go's net.Listen makes MPTCP
// ones where the kernel allows, since Go 1.24).
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
		var lc net.ListenConfig
		lc.SetMultipathTCP(false)
		if ln, err = lc.Listen(context.Background(), network, addr); err == nil {
			if ul, ok := ln.(*net.UnixListener); ok {
				ul.SetUnlinkOnClose(false) // the server goes on serving the path
			}
			s.Addr = ln.Addr().String()
			s.File, err = ln.(filer).File()
			_ = ln.Close()
		}
	default:
		var pc net.PacketConn
		if pc, err = net.ListenPacket(network, addr); err == nil {
			s.Addr = pc.LocalAddr().String()
			s.File, err = pc.(filer).File()
			_ = pc.Close()
		}
	}
	return s, err
}

type filer interface{ File() (*os.File, error) }

// AcceptedPair connects a TCP client to a fresh listener on 127.0.0.1 and
// returns the client and the server side of that connection, as a file to
// hand to a server (systemd Accept=yes passes such an fd). The listener is
// closed; the caller closes both.
func AcceptedPair() (client net.Conn, server *os.File, err error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	defer ln.Close()
	if client, err = net.Dial("tcp4", ln.Addr().String()); err != nil {
		return nil, nil, err
	}
	c, err := ln.Accept()
	if err == nil {
		server, err = c.(*net.TCPConn).File()
		_ = c.Close()
	}
	if err != nil {
		_ = client.Close()
		return nil, nil, err
	}
	return client, server, nil
}
