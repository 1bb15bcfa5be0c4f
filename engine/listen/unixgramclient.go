//go:build linux

package listen

import (
	"net"
	"os"
	"strings"
)

// DialUnixgram connects a unix datagram client to server, bound to local
// so that the server has an address to reply to. local is a path (a stale
// file there is replaced, and Close removes the file) or "@name" (abstract:
// nothing to remove). It is the one client socket file this module makes
// and removes: the probe subcommand and the bench probes use it.
func DialUnixgram(local, server string) (net.Conn, error) {
	abstract := strings.HasPrefix(local, "@")
	if !abstract {
		_ = os.Remove(local)
	}
	c, err := net.DialUnix("unixgram", &net.UnixAddr{Name: local, Net: "unixgram"}, &net.UnixAddr{Name: server, Net: "unixgram"})
	switch {
	case err != nil:
		if !abstract {
			_ = os.Remove(local)
		}
		return nil, err
	case abstract:
		return c, nil
	}
	return removeOnClose{c, local}, nil
}

// removeOnClose removes the client's socket file on Close.
type removeOnClose struct {
	*net.UnixConn
	path string
}

func (c removeOnClose) Close() error {
	err := c.UnixConn.Close()
	_ = os.Remove(c.path)
	return err
}
