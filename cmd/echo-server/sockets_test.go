package main

import (
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/echo-activation/echo-server/engine/echotest"
)

// testSocket is a socket the test made to pass to the server.
type testSocket struct {
	name, network, addr string
	file                *os.File
}

// listenFamily creates a listening (or bound datagram) socket of network
// on loopback or in dir and returns it as a file to pass on.
func listenFamily(t *testing.T, network, dir string) testSocket {
	t.Helper()
	var (
		f    *os.File
		addr string
		err  error
	)
	switch network {
	case "tcp4", "tcp6", "unix":
		var ln net.Listener
		ln, err = net.Listen(network, loopback(network, dir))
		if ul, ok := ln.(*net.UnixListener); ok {
			ul.SetUnlinkOnClose(false) // the server keeps serving the path
		}
		if err == nil {
			addr = ln.Addr().String()
			f, err = ln.(filer).File()
			_ = ln.Close()
		}
	default:
		var pc net.PacketConn
		pc, err = net.ListenPacket(network, loopback(network, dir))
		if err == nil {
			addr = pc.LocalAddr().String()
			f, err = pc.(filer).File()
			_ = pc.Close()
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return testSocket{name: network, network: network, addr: addr, file: f}
}

type filer interface{ File() (*os.File, error) }

func loopback(network, dir string) string {
	switch network {
	case "tcp4", "udp4":
		return "127.0.0.1:0"
	case "tcp6", "udp6":
		return "[::1]:0"
	case "unix":
		return filepath.Join(dir, "s.sock")
	}
	return filepath.Join(dir, "g.sock")
}

func shortDir(t *testing.T) string {
	dir, cleanup, err := echotest.ShortTempDir()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)
	return dir
}

// seqpacketFile is a socket the server does not serve.
func seqpacketFile(t *testing.T) *os.File {
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_SEQPACKET, 0)
	if err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), "seqpacket")
	t.Cleanup(func() { _ = f.Close() })
	return f
}

func filesAndNames(socks []testSocket) ([]*os.File, []string) {
	var files []*os.File
	var names []string
	for _, s := range socks {
		files = append(files, s.file)
		names = append(names, s.name)
	}
	return files, names
}
