package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/echo-activation/echo-server/engine/listen"
)

// checkEcho sends a random payload to a stream or datagram echo socket and
// compares what comes back byte for byte.
func (p *probeConfig) checkEcho(network, addr string, datagram bool) (string, error) {
	c, err := p.dial(network, addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(p.timeout))
	want := payload(p.size)
	if _, err := c.Write(want); err != nil {
		return "", fmt.Errorf("send: %w", err)
	}
	got, err := p.readEcho(c, len(want), datagram)
	if err != nil {
		return "", err
	}
	if err := compareEcho(got, want); err != nil {
		return "", err
	}
	return fmt.Sprintf("%d bytes echoed", len(want)), nil
}

func (p *probeConfig) dial(network, addr string) (net.Conn, error) {
	if network != "unixgram" {
		return net.DialTimeout(network, addr, p.timeout)
	}
	local := p.bind
	if local == "" {
		local = "@echo-probe-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	return listen.DialUnixgram(local, addr)
}

// readEcho reads the echo: for a stream until n bytes came, for a datagram
// one datagram (which must be exactly n bytes).
func (p *probeConfig) readEcho(c net.Conn, n int, datagram bool) ([]byte, error) {
	buf := make([]byte, n+1)
	var got int
	var err error
	if datagram {
		got, err = c.Read(buf)
	} else {
		got, err = io.ReadAtLeast(c, buf, n)
	}
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return nil, fmt.Errorf("no full echo within %v: %d of %d bytes came back", p.timeout, got, n)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return nil, fmt.Errorf("connection closed after %d of %d bytes", got, n)
	case err != nil:
		return nil, fmt.Errorf("receive: %w", err)
	}
	return buf[:got], nil
}

// compareEcho names the first byte that differs, or the length mismatch.
func compareEcho(got, want []byte) error {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Errorf("wrong echo: byte %d of %d differs (sent 0x%02x, got 0x%02x)", i, len(want), want[i], got[i])
		}
	}
	if len(got) != len(want) {
		return fmt.Errorf("wrong echo: %d bytes back for %d sent", len(got), len(want))
	}
	return nil
}
