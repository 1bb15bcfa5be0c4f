//go:build linux

// Package echotest checks an echo server byte for byte over real sockets. It
// is a helper for tests (like net/http/httptest): every check compares the
// whole echo with what was sent and says where they first differ.
package echotest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Payload returns n pseudo-random bytes, the same for the same n and seed.
func Payload(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, uint64(n)))
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(r.Uint32())
	}
	return p
}

// Stream writes p on c while reading the echo concurrently (so a server that
// stops reading while its replies back up cannot deadlock the check) and
// fails unless exactly p comes back.
func Stream(c net.Conn, p []byte, timeout time.Duration) error {
	_ = c.SetDeadline(time.Now().Add(timeout))
	werr := make(chan error, 1)
	go func() {
		_, err := c.Write(p)
		werr <- err
	}()
	got := make([]byte, len(p))
	_, rerr := io.ReadFull(c, got)
	if err := <-werr; err != nil {
		return fmt.Errorf("write %d bytes: %w", len(p), err)
	}
	if rerr != nil {
		return fmt.Errorf("read echo of %d bytes: %w", len(p), rerr)
	}
	return Compare(got, p)
}

// ConcurrentStreams runs clients connections to addr at once over network;
// client i sends a size-byte Payload seeded with i and checks its echo with
// Stream. It returns one error per client that failed, naming the client.
func ConcurrentStreams(network, addr string, clients, size int, timeout time.Duration) []error {
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial(network, addr)
			if err == nil {
				err = Stream(c, Payload(size, uint64(i)), timeout)
				_ = c.Close()
			}
			if err != nil {
				errs <- fmt.Errorf("client %d: %w", i, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	var out []error
	for err := range errs {
		out = append(out, err)
	}
	return out
}

// Compare reports where got first differs from want.
func Compare(got, want []byte) error {
	if bytes.Equal(got, want) {
		return nil
	}
	if len(got) != len(want) {
		return fmt.Errorf("echo has %d bytes, sent %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			return fmt.Errorf("echo differs at byte %d of %d: got %#x, sent %#x", i, len(want), got[i], want[i])
		}
	}
	return errors.New("unreachable")
}

// Datagram sends p on the connected datagram socket c and fails unless one
// reply equal to p arrives within timeout.
func Datagram(c net.Conn, p []byte, timeout time.Duration) error {
	_ = c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write(p); err != nil {
		return fmt.Errorf("send %d-byte datagram: %w", len(p), err)
	}
	buf := make([]byte, len(p)+1) // one spare byte shows a longer reply
	n, err := c.Read(buf)
	if err != nil {
		return fmt.Errorf("reply to %d-byte datagram: %w", len(p), err)
	}
	return Compare(buf[:n], p)
}

// DialUnixgram connects a unix datagram client bound to a fresh path in dir,
// so the server has an address to reply to. The path is left in dir.
func DialUnixgram(dir, server string) (*net.UnixConn, error) {
	f, err := os.CreateTemp(dir, "c*.sock")
	if err != nil {
		return nil, err
	}
	local := f.Name()
	_ = f.Close()
	_ = os.Remove(local)
	laddr := &net.UnixAddr{Name: local, Net: "unixgram"}
	raddr := &net.UnixAddr{Name: server, Net: "unixgram"}
	c, err := net.DialUnix("unixgram", laddr, raddr)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Dial connects to a server socket of the given network (tcp4, tcp6, udp4,
// udp6, unix, unixgram); unixgram clients are bound in dir.
func Dial(network, addr, dir string) (net.Conn, error) {
	if network == "unixgram" {
		return DialUnixgram(dir, addr)
	}
	return net.DialTimeout(network, addr, 5*time.Second)
}

// DialFrom connects to the TCP address addr from the local address from
// (any port), as a client of another host would: 127.0.0.0/8 is all
// local, and a test's network namespace has addresses of its own.
func DialFrom(from, addr string) (net.Conn, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	return d.Dial("tcp", addr)
}

// TempDir makes a temporary directory with a short path (unix socket paths
// are limited to 107 bytes; t.TempDir's are often longer) and removes it when
// the test ends.
func TempDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "echo")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return filepath.Clean(dir)
}
