//go:build linux

package engine

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest"
	"golang.org/x/sys/unix"
)

func TestReaderWaitFor(t *testing.T) {
	for _, tc := range []struct {
		domain, readers int
		want            readerWait
	}{
		{domain: unix.AF_UNIX, readers: 1, want: waitPoll},
		{domain: unix.AF_INET, readers: 1, want: waitEpoll},
		{domain: unix.AF_INET6, readers: 1, want: waitEpoll},
		{domain: unix.AF_INET, readers: 2, want: waitShared},
		{domain: unix.AF_INET6, readers: 4, want: waitShared},
	} {
		if got := readerWaitFor(tc.domain, tc.readers); got != tc.want {
			t.Errorf("readerWaitFor(%d, %d) = %d, want %d", tc.domain, tc.readers, got, tc.want)
		}
	}
}

// TestUnixgramBurstsOverSeveralBatches: the reader of a unix datagram
// socket, which waits in poll and reads until the socket is empty, answers
// bursts from more clients than a batch holds (and than the kernel queues
// for one unix socket by default, so some clients wait for room), each
// byte for byte, and after each burst it sleeps and is woken by the next.
func TestUnixgramBurstsOverSeveralBatches(t *testing.T) {
	const clients, bursts = 3*unixBatch + 5, 3
	dir := echotest.TempDir(t)
	srv, stats := startServer(t, "unixgram://"+dir+"/g.sock")
	conns := make([]*net.UnixConn, clients)
	for i := range conns {
		c, err := echotest.DialUnixgram(dir, stats[0].Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns[i] = c
	}
	for b := range bursts {
		if err := burst(conns, b); err != nil {
			t.Fatalf("burst %d: %v", b, err)
		}
		time.Sleep(20 * time.Millisecond) // the reader goes back to its wait
	}
	st := srv.Stats()[0]
	if want := uint64(clients * bursts); st.DatagramsIn != want || st.DatagramsOut != want || st.Dropped != 0 {
		t.Fatalf("in %d, out %d, dropped %d; want %d in and out, none dropped", st.DatagramsIn, st.DatagramsOut, st.Dropped, want)
	}
}

// burst sends one datagram from every client, then reads every reply.
func burst(conns []*net.UnixConn, b int) error {
	deadline := time.Now().Add(5 * time.Second)
	for i, c := range conns {
		_ = c.SetDeadline(deadline)
		if _, err := c.Write(echotest.Payload(64+i, uint64(b*len(conns)+i))); err != nil {
			return fmt.Errorf("client %d: send: %w", i, err)
		}
	}
	buf := make([]byte, 64+len(conns)+1)
	for i, c := range conns {
		n, err := c.Read(buf)
		if err != nil {
			return fmt.Errorf("client %d: reply: %w", i, err)
		}
		if err := echotest.Compare(buf[:n], echotest.Payload(64+i, uint64(b*len(conns)+i))); err != nil {
			return fmt.Errorf("client %d: %w", i, err)
		}
	}
	return nil
}

// TestUnixgramShutdownWhileWaiting: Shutdown stops the reader of a unix
// datagram socket while it sleeps in poll.
func TestUnixgramShutdownWhileWaiting(t *testing.T) {
	dir := echotest.TempDir(t)
	srv, stats := startServer(t, "unixgram://"+dir+"/g.sock")
	checkDatagrams(t, stats[0], dir, []int{16})
	time.Sleep(20 * time.Millisecond) // the reader goes back to its wait
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v after %v", err, time.Since(start))
	}
}
