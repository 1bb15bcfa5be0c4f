// Package stdecho is the Go standard library echo used as a benchmark peer
// and as the in-process server of the load generator's tests: a goroutine
// per connection with io.Copy, and a ReadFrom/WriteTo loop for datagrams.
package stdecho

import (
	"errors"
	"io"
	"net"
)

// ServeStream echoes every connection accepted from ln until ln is closed,
// which it reports as nil. Connections are closed when their peer closes.
func ServeStream(ln net.Listener) error {
	for {
		c, err := ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return nil
		}
		if err != nil {
			return err
		}
		go func() {
			defer c.Close()
			_, _ = io.Copy(c, c)
		}()
	}
}

// ServePacket echoes every datagram on pc back to its sender until pc is
// closed, which it reports as nil.
func ServePacket(pc net.PacketConn) error {
	buf := make([]byte, 65536)
	for {
		n, from, err := pc.ReadFrom(buf)
		if errors.Is(err, net.ErrClosed) {
			return nil
		}
		if err != nil {
			return err
		}
		if from == nil {
			continue // an unbound unix datagram client: nowhere to reply
		}
		_, _ = pc.WriteTo(buf[:n], from)
	}
}
