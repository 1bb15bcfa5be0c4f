package main

import (
	"os"
	"syscall"
	"testing"

	"github.com/echo-activation/echo-server/engine/echotest"
)

// testSocket is a socket the test made to pass to the server.
type testSocket = echotest.Socket

// listenFamily creates a listening (or bound datagram) socket of network
// on loopback or in dir, named by its network, to pass to the server.
func listenFamily(t *testing.T, network, dir string) testSocket {
	t.Helper()
	s, err := echotest.Listen(network, network, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.File.Close() })
	return s
}

// familySockets is one socket of every family.
func familySockets(t *testing.T, dir string) []testSocket {
	var socks []testSocket
	for _, fam := range allFamilies {
		socks = append(socks, listenFamily(t, fam, dir))
	}
	return socks
}

// seqpacketFile is a socket the server does not serve: a SOCK_SEQPACKET
// socket that is not listening (only listening ones are served).
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
		files = append(files, s.File)
		names = append(names, s.Name)
	}
	return files, names
}
