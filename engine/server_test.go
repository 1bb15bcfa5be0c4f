package engine

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/activation"
	"github.com/echo-activation/echo-server/engine/echotest"
	"github.com/echo-activation/echo-server/engine/listen"
	"golang.org/x/sys/unix"
)

// startServer serves the given --listen URLs in-process and returns the
// server with its sockets' stats (for their addresses). The server owns
// the sockets' fds and closes them when the test ends.
func startServer(t testing.TB, urls ...string) (*Server, []SocketStats) {
	t.Helper()
	return startServerWith(t, nil, urls...)
}

// familyURLs are one --listen URL per family; unix paths go in dir.
func familyURLs(dir string) []string {
	return []string{"tcp4://127.0.0.1:0", "tcp6://[::1]:0", "udp4://127.0.0.1:0", "udp6://[::1]:0",
		"unix://" + dir + "/s.sock", "unixgram://" + dir + "/g.sock", "unix://@" + dir[1:] + "-abs"}
}

// maxDatagram is the largest datagram a default client can send on network.
func maxDatagram(t testing.TB, network string) int {
	switch network {
	case "udp4":
		return 65507 // 65535 - 20 (IPv4) - 8 (UDP)
	case "udp6":
		return 65527 // 65535 - 8 (UDP); the IPv6 header is not counted
	}
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	sndbuf, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF)
	if err != nil {
		t.Fatal(err)
	}
	return sndbuf - 32 // unix_dgram_sendmsg refuses len > sk_sndbuf - 32
}

func TestEchoEveryFamily(t *testing.T) {
	dir := echotest.TempDir(t)
	_, stats := startServer(t, familyURLs(dir)...)
	for _, st := range stats {
		t.Run(st.Network+"/"+st.Name, func(t *testing.T) {
			if st.Network == "udp4" || st.Network == "udp6" || st.Network == "unixgram" {
				checkDatagrams(t, st, dir, []int{0, 1, 1024, 8192, maxDatagram(t, st.Network)})
				return
			}
			checkStream(t, st, dir, []int{1, 64 << 10, 4 << 20})
		})
	}
}

func checkStream(t *testing.T, st SocketStats, dir string, sizes []int) {
	for _, size := range sizes {
		c, err := echotest.Dial(st.Network, st.Addr, dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := echotest.Stream(c, echotest.Payload(size, 1), 20*time.Second); err != nil {
			t.Errorf("%d bytes: %v", size, err)
		}
		_ = c.Close()
	}
}

func checkDatagrams(t *testing.T, st SocketStats, dir string, sizes []int) {
	c, err := echotest.Dial(st.Network, st.Addr, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, size := range sizes {
		if err := echotest.Datagram(c, echotest.Payload(size, 2), 5*time.Second); err != nil {
			t.Errorf("%d bytes: %v", size, err)
		}
	}
}

func TestConcurrentClients(t *testing.T) {
	_, stats := startServer(t, "tcp4://127.0.0.1:0")
	for _, err := range echotest.ConcurrentStreams("tcp4", stats[0].Addr, 200, 32<<10, 20*time.Second) {
		t.Error(err)
	}
}

func TestUnboundUnixgramClientIsDroppedAndCounted(t *testing.T) {
	dir := echotest.TempDir(t)
	srv, stats := startServer(t, "unixgram://"+dir+"/g.sock")
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: stats[0].Addr, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("no reply address")); err != nil {
		t.Fatal(err)
	}
	// A bound client is still answered after the unbound one.
	checkDatagrams(t, stats[0], dir, []int{16})
	if got := srv.Stats()[0].Dropped; got != 1 {
		t.Fatalf("dropped = %d, want 1", got)
	}
}

// TestVsockListenerReady: no vsock transport exists on the test machines
// (a connect to CID 1 times out), so vsock is tested up to here: a vsock
// listener is classified, adopted and accepted on, and Shutdown stops it.
func TestVsockListenerReady(t *testing.T) {
	fd, err := listen.Listen("vsock://any:0")
	if err != nil {
		echotest.Skip(t, "no vsock here: %v", err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := New(AdoptAll([]activation.InheritedFD{fd}, log), WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	if st := srv.Stats()[0]; st.Network != "vsock" || !strings.HasPrefix(st.Addr, "any:") {
		t.Fatalf("stats = %+v, want a vsock listener on CID any", st)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

// TestAcceptYesDone: a server given only connected sockets (systemd
// Accept=yes) echoes on them and closes Done when the last one closes.
func TestAcceptYesDone(t *testing.T) {
	client, f, err := echotest.AcceptedPair()
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	fd, err := unix.Dup(int(f.Fd())) // the server takes this copy over
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := New(AdoptAll([]activation.InheritedFD{{FD: fd, Name: "conn"}}, log), WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	if err := echotest.Stream(client, echotest.Payload(256<<10, 3), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	select {
	case <-srv.Done():
		t.Fatal("Done before the connection closed")
	default:
	}
	client.Close()
	select {
	case <-srv.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done not closed after the last connection closed")
	}
	_ = srv.Shutdown(context.Background())
}

// startServerWith is startServer with extra options.
func startServerWith(t testing.TB, opts []Option, urls ...string) (*Server, []SocketStats) {
	t.Helper()
	var fds []activation.InheritedFD
	for _, u := range urls {
		fd, err := listen.Listen(u)
		if err != nil {
			t.Fatal(err)
		}
		fds = append(fds, fd)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := serveFDs(t, fds, log, append([]Option{WithLoops(2)}, opts...)...)
	return srv, srv.Stats()
}

// serveFDs adopts fds (the server takes them over) and starts a server on
// them that logs to log; the test's cleanup shuts it down.
func serveFDs(t testing.TB, fds []activation.InheritedFD, log *slog.Logger, opts ...Option) *Server {
	t.Helper()
	srv, err := New(AdoptAll(fds, log), append([]Option{WithLogger(log)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return srv
}
