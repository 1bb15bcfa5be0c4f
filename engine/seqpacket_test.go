package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest"
)

// dialRecords connects a record client that can send MaxRecord+1 bytes;
// the test's cleanup closes it.
func dialRecords(t testing.TB, addr string) *echotest.RecordConn {
	t.Helper()
	c, err := tryDialRecords(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func tryDialRecords(addr string) (*echotest.RecordConn, error) {
	return echotest.DialRecords(addr, MaxRecord+1)
}

// seqpacketURLs are a path and an abstract name.
func seqpacketURLs(t *testing.T) []string {
	dir := echotest.TempDir(t)
	return []string{"unixpacket://" + dir + "/p.sock", "unixpacket://@" + dir[1:] + "-p"}
}

// TestSeqpacketRecordSizes: every record from 1 byte to MaxRecord comes
// back as one record, byte-exact, on a path and an abstract name; an empty
// record comes back empty.
func TestSeqpacketRecordSizes(t *testing.T) {
	sizes := []int{0, 1, 2, 100, 4096, 64<<10 - 1, 64 << 10, 64<<10 + 1, 212960, MaxRecord}
	for _, url := range seqpacketURLs(t) {
		t.Run(url, func(t *testing.T) {
			srv, stats := startServer(t, url)
			if stats[0].Network != "unixpacket" {
				t.Fatalf("network = %q, want unixpacket", stats[0].Network)
			}
			c := dialRecords(t, stats[0].Addr)
			for _, size := range sizes {
				if err := c.Echo(echotest.Payload(size, uint64(size))); err != nil {
					t.Fatalf("%d bytes: %v", size, err)
				}
			}
			c.Close()
			waitOpen(t, srv, 0)
			if st := srv.Stats()[0]; st.DatagramsIn != uint64(len(sizes)) || st.DatagramsOut != st.DatagramsIn || st.Errors != 0 {
				t.Fatalf("stats = %+v, want %d records in and out, no error", st, len(sizes))
			}
		})
	}
}

// TestSeqpacketOverMaxRecord: a record of MaxRecord+1 bytes is not echoed
// shortened: the connection is closed and the record counted as an error.
func TestSeqpacketOverMaxRecord(t *testing.T) {
	srv, stats := startServer(t, seqpacketURLs(t)[1])
	c := dialRecords(t, stats[0].Addr)
	if err := c.Echo([]byte("before")); err != nil {
		t.Fatal(err)
	}
	if err := c.Send(echotest.Payload(MaxRecord+1, 3)); err != nil {
		t.Fatal(err)
	}
	if !c.Ended() {
		t.Fatal("the connection goes on after a record over MaxRecord")
	}
	waitOpen(t, srv, 0)
	if st := srv.Stats()[0]; st.Errors != 1 || st.DatagramsOut != 1 {
		t.Fatalf("stats = %+v, want 1 error and only the first record echoed", st)
	}
}

// TestSeqpacketRecordsInFlight: 100 records of mixed sizes sent without
// waiting for their echoes come back one by one, in order, each whole.
func TestSeqpacketRecordsInFlight(t *testing.T) {
	_, stats := startServer(t, seqpacketURLs(t)[0])
	c := dialRecords(t, stats[0].Addr)
	records := make([][]byte, 100)
	for i := range records {
		records[i] = echotest.Payload([]int{1, 7, 1500, 9000, 64 << 10}[i%5]+i, uint64(i))
	}
	if i, err := c.EchoInFlight(records); err != nil {
		t.Fatalf("record %d of 100 in flight: %v", i, err)
	}
}

// TestSeqpacketConcurrentConnections: 20 connections at once, 50 records
// each.
func TestSeqpacketConcurrentConnections(t *testing.T) {
	_, stats := startServer(t, seqpacketURLs(t)[1])
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Go(func() {
			c, err := tryDialRecords(stats[0].Addr)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			for j := range 50 {
				if err := c.Echo(echotest.Payload(1+(i*50+j)*97%(32<<10), uint64(i*50+j))); err != nil {
					errs <- fmt.Errorf("conn %d record %d: %w", i, j, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestSeqpacketMaxConns: connections over MaxConns are closed at once and
// counted as rejected; the admitted ones echo.
func TestSeqpacketMaxConns(t *testing.T) {
	srv, stats := startServerWith(t, []Option{WithMaxConns(2)}, seqpacketURLs(t)[0])
	a, b := dialRecords(t, stats[0].Addr), dialRecords(t, stats[0].Addr)
	for _, c := range []*echotest.RecordConn{a, b} {
		if err := c.Echo([]byte("in")); err != nil {
			t.Fatal(err)
		}
	}
	if over := dialRecords(t, stats[0].Addr); !over.Ended() {
		t.Fatal("a third connection over MaxConns 2 was not closed")
	}
	if st := srv.Stats()[0]; st.Rejected != 1 || st.Open != 2 || srv.Open() != 2 {
		t.Fatalf("stats = %+v, open = %d; want 1 rejected, 2 open", st, srv.Open())
	}
	a.Close()
	waitOpen(t, srv, 1)
	if err := dialRecords(t, stats[0].Addr).Echo([]byte("now in")); err != nil {
		t.Fatal(err)
	}
}

// TestSeqpacketDrain: Shutdown stops accepting, lets an open connection go
// on echoing until it closes, and returns nil then; a connection still
// open when the drain time ends is closed and counted in the DrainError.
func TestSeqpacketDrain(t *testing.T) {
	for _, tt := range []struct {
		name      string
		drain     time.Duration
		closeConn bool // the client closes during the drain
	}{
		{name: "client closes", drain: 10 * time.Second, closeConn: true},
		{name: "drain time ends", drain: time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv, stats := startServer(t, seqpacketURLs(t)[1])
			c := dialRecords(t, stats[0].Addr)
			if err := c.Echo([]byte("before")); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), tt.drain)
				defer cancel()
				done <- srv.Shutdown(ctx)
			}()
			waitRefused(t, stats[0].Addr)
			if err := c.Echo([]byte("during the drain")); err != nil {
				t.Fatal(err)
			}
			if tt.closeConn {
				c.Close()
			}
			err := <-done
			var de *DrainError
			switch {
			case tt.closeConn && err != nil:
				t.Fatalf("Shutdown = %v, want nil once the client closed", err)
			case !tt.closeConn && (!errors.As(err, &de) || de.Open != 1):
				t.Fatalf("Shutdown = %v, want a DrainError with 1 open", err)
			case !tt.closeConn && !c.Ended():
				t.Fatal("the connection is still open after Shutdown")
			}
		})
	}
}

// waitRefused waits until a connect to addr is refused (StopAccepting has
// closed the listener).
func waitRefused(t *testing.T, addr string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		c, err := tryDialRecords(addr)
		if err != nil {
			return
		}
		c.Close()
	}
	t.Fatal("the listener still accepts during the drain")
}

// TestSeqpacketIdleTimeout: a connection that sends nothing for the idle
// timeout is closed and counted.
func TestSeqpacketIdleTimeout(t *testing.T) {
	srv, stats := startServerWith(t, []Option{WithIdleTimeout(100 * time.Millisecond)}, seqpacketURLs(t)[0])
	c := dialRecords(t, stats[0].Addr)
	if err := c.Echo([]byte("once")); err != nil {
		t.Fatal(err)
	}
	if !c.Ended() {
		t.Fatal("an idle connection was not closed")
	}
	waitOpen(t, srv, 0)
	if st := srv.Stats()[0]; st.IdleClosed != 1 || st.Errors != 0 {
		t.Fatalf("stats = %+v, want 1 idle-closed, no error", st)
	}
}

// BenchmarkSeqpacketEcho: one record at a time on one connection, with the
// idle timeout on (a read deadline per record) and off.
func BenchmarkSeqpacketEcho(b *testing.B) {
	for _, idle := range []time.Duration{0, 5 * time.Minute} {
		for _, size := range []int{64, 64 << 10} {
			b.Run(fmt.Sprintf("idle=%v/%s", idle, sizeName(size)), func(b *testing.B) {
				_, stats := startServerWith(b, []Option{WithIdleTimeout(idle)}, "unixpacket://@"+fmt.Sprint("echo-bench-", time.Now().UnixNano()))
				c := dialRecords(b, stats[0].Addr)
				p := echotest.Payload(size, 1)
				b.SetBytes(int64(size))
				for b.Loop() {
					if err := c.Echo(p); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
