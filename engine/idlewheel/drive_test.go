package idlewheel

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// wheelEcho is a gnet echo server whose loops close silent connections
// through their wheels.
type wheelEcho struct {
	gnet.BuiltinEventEngine
	loops  *Loops[gnet.Conn]
	eng    gnet.Engine
	booted chan struct{}
}

// wheelConn is a connection's context: its entry and its loop's wheel.
type wheelConn struct {
	e Entry[gnet.Conn]
	w *Wheel[gnet.Conn]
}

func (h *wheelEcho) OnBoot(eng gnet.Engine) gnet.Action {
	h.eng = eng
	close(h.booted)
	return gnet.None
}

func (h *wheelEcho) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	wc := &wheelConn{w: h.loops.For(c.EventLoop())}
	c.SetContext(wc)
	wc.w.Add(&wc.e, c)
	return nil, gnet.None
}

func (h *wheelEcho) OnTraffic(c gnet.Conn) gnet.Action {
	wc := c.Context().(*wheelConn)
	wc.w.Touch(&wc.e)
	buf, _ := c.Next(-1)
	_, _ = c.Write(buf)
	return gnet.None
}

func (h *wheelEcho) OnClose(c gnet.Conn, _ error) gnet.Action {
	wc := c.Context().(*wheelConn)
	wc.w.Remove(&wc.e)
	return gnet.None
}

// startWheelEcho serves on a unix socket in a fresh directory until the
// test ends and returns its path.
func startWheelEcho(t *testing.T, timeout time.Duration) string {
	dir, err := os.MkdirTemp("", "iw") // short: unix socket paths are limited
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "s")
	h := &wheelEcho{loops: NewLoops(timeout, func(c gnet.Conn) { _ = c.Close() }), booted: make(chan struct{})}
	done := make(chan error, 1)
	go func() { done <- gnet.Run(h, "unix://"+path, gnet.WithMulticore(true), gnet.WithNumEventLoop(2)) }()
	select {
	case <-h.booted:
	case err := <-done:
		t.Fatalf("gnet: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("gnet did not boot in 5 s")
	}
	t.Cleanup(func() {
		h.loops.Stop()
		_ = h.eng.Stop(context.Background())
		<-done
		_ = os.RemoveAll(dir)
	})
	return path
}

// TestDriveClosesSilent: on a real gnet loop, a silent connection is
// closed between D and 1.25 D (plus 100 ms for a loaded machine's
// scheduling), and one that talks every D/3 is not.
func TestDriveClosesSilent(t *testing.T) {
	const d = 200 * time.Millisecond
	path := startWheelEcho(t, d)
	chatty, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer chatty.Close()
	start := time.Now()
	silent, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	closed := make(chan time.Duration, 1)
	go func() {
		_ = silent.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err := silent.Read(make([]byte, 1))
		if err != io.EOF {
			t.Errorf("silent connection: read %v, want EOF", err)
		}
		closed <- time.Since(start)
	}()
	buf := make([]byte, 1)
	for i := range 9 { // 9 × D/3: three timeouts of talk
		time.Sleep(d / 3)
		if _, err := chatty.Write([]byte{byte(i)}); err != nil {
			t.Fatalf("chatty write %d: %v", i, err)
		}
		_ = chatty.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.ReadFull(chatty, buf); err != nil {
			t.Fatalf("chatty echo %d after %v: %v", i, time.Since(start), err)
		}
	}
	got := <-closed
	if got < d || got > d*5/4+100*time.Millisecond {
		t.Fatalf("silent connection closed after %v, want %v..%v (+100 ms)", got, d, d*5/4)
	}
	t.Logf("silent connection closed after %v (D %v)", got, d)
}
