package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/echo-activation/echo-server/engine/listen"
)

// probe waits until a server echoes on addr, trying every 20ms. For a
// socket-activated server the first probe also triggers the exec.
func probe(network, addr string, within time.Duration) error {
	deadline := time.Now().Add(within)
	err := probeOnce(network, addr)
	for err != nil && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		err = probeOnce(network, addr)
	}
	return err
}

func probeOnce(network, addr string) error {
	c, err := dialProbe(network, addr)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(300 * time.Millisecond))
	msg := []byte("benchrun probe")
	if _, err := c.Write(msg); err != nil {
		return err
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		return err
	}
	if !bytes.Equal(got, msg) {
		return fmt.Errorf("probe echoed %q", got)
	}
	return nil
}

// dialProbe connects; a unix datagram client binds its own path first so
// that the server can reply.
func dialProbe(network, addr string) (net.Conn, error) {
	if network != "unixgram" {
		return net.DialTimeout(network, addr, time.Second)
	}
	return listen.DialUnixgram(addr+".probe", addr)
}
