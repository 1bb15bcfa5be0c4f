package engine

import (
	"strings"
	"testing"

	"github.com/echo-activation/echo-server/engine/echotest"
	"golang.org/x/sys/unix"
)

func TestListenURLs(t *testing.T) {
	dir := tempDir(t)
	tests := []struct {
		url     string
		network string // "" when the URL must be refused
		errHas  string
	}{
		{url: "tcp://127.0.0.1:0", network: "tcp4"},
		{url: "tcp4://127.0.0.1:0", network: "tcp4"},
		{url: "tcp6://[::1]:0", network: "tcp6"},
		{url: "tcp://[::1]:0", network: "tcp6"},
		{url: "udp://127.0.0.1:0", network: "udp4"},
		{url: "udp6://[::1]:0", network: "udp6"},
		{url: "unix://" + dir + "/a.sock", network: "unix"},
		{url: "unix://@echo-listen-test", network: "unix"},
		{url: "unixgram://" + dir + "/g.sock", network: "unixgram"},
		{url: "vsock://any:0", network: "vsock"},
		{url: "tcp4://[::1]:0", errHas: "does not match"},
		{url: "tcp://localhost:0", errHas: "must be an IP address"},
		{url: "tcp://127.0.0.1:99999", errHas: "bad port"},
		{url: "tcp://127.0.0.1", errHas: "missing port"},
		{url: "sctp://127.0.0.1:1", errHas: "unknown scheme"},
		{url: "127.0.0.1:3000", errHas: "want SCHEME://ADDRESS"},
		{url: "vsock://3", errHas: "want vsock://CID:PORT"},
		{url: "unix://" + dir + "/regular", errHas: "not a socket"},
	}
	if err := writeFile(dir + "/regular"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			fd, err := Listen(tt.url)
			if tt.network == "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("err = %v, want one saying %q", err, tt.errHas)
				}
				return
			}
			if err != nil {
				if strings.HasPrefix(tt.url, "vsock") {
					echotest.Skip(t, "no vsock here: %v", err)
				}
				t.Fatal(err)
			}
			defer unix.Close(fd.FD)
			s, err := Classify(fd.FD, fd.Name)
			if err != nil || s.Network() != tt.network || s.Name != tt.url {
				t.Fatalf("Classify = %+v, %v; want network %s named by the URL", s, err, tt.network)
			}
		})
	}
}

func TestListenReplacesStaleUnixSocket(t *testing.T) {
	path := tempDir(t) + "/stale.sock"
	for range 2 { // the second Listen finds the first one's socket file
		fd, err := Listen("unix://" + path)
		if err != nil {
			t.Fatal(err)
		}
		unix.Close(fd.FD)
	}
}

func writeFile(path string) error {
	fd, err := unix.Open(path, unix.O_CREAT|unix.O_WRONLY|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	return unix.Close(fd)
}
