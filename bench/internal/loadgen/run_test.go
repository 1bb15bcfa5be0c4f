package loadgen

import (
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/bench/internal/stdecho"
)

// serve starts the stdlib echo peer in-process and returns its address.
func serve(t *testing.T, network, addr string) string {
	t.Helper()
	if network == "udp" || network == "unixgram" {
		pc, err := net.ListenPacket(network, addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = pc.Close() })
		go func() { _ = stdecho.ServePacket(pc) }()
		return pc.LocalAddr().String()
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() { _ = stdecho.ServeStream(ln) }()
	return ln.Addr().String()
}

func TestRunAgainstStdlibPeer(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, network, listen string
		mode                  Mode
		conns, len            int
	}{
		{name: "pingpong", network: "tcp", listen: "127.0.0.1:0", mode: PingPong, conns: 4, len: 100},
		{name: "flood", network: "tcp", listen: "127.0.0.1:0", mode: Flood, conns: 3, len: 4096},
		{name: "connrate", network: "tcp", listen: "127.0.0.1:0", mode: ConnRate, conns: 2, len: 64},
		{name: "udp", network: "udp", listen: "127.0.0.1:0", mode: Dgram, conns: 4, len: 512},
		{name: "unix", network: "unix", listen: filepath.Join(dir, "s"), mode: PingPong, conns: 2, len: 64},
		{name: "unixgram", network: "unixgram", listen: filepath.Join(dir, "d"), mode: Dgram, conns: 2, len: 64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target, err := ParseTarget(tc.network, serve(t, tc.network, tc.listen))
			if err != nil {
				t.Fatal(err)
			}
			res, err := Run(Config{Mode: tc.mode, Target: target, Conns: tc.conns, Len: tc.len,
				Duration: 80 * time.Millisecond, Warmup: 10 * time.Millisecond, Timeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if err := res.Failed(); err != nil {
				t.Fatalf("%v: %v", res, err)
			}
			if res.MsgPerSec <= 0 || res.Bytes == 0 || res.Errors != 0 {
				t.Fatalf("no clean throughput: %v", res)
			}
		})
	}
}

// A server that flips a byte must make the run fail.
func TestRunDetectsCorruption(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go corrupting(ln)
	target, _ := ParseTarget("tcp", ln.Addr().String())
	res, err := Run(Config{Mode: PingPong, Target: target, Conns: 1, Len: 64,
		Duration: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Mismatches == 0 || res.Failed() == nil {
		t.Fatalf("corruption not detected: %v", res)
	}
}

func corrupting(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			buf := make([]byte, 4096)
			for {
				n, err := c.Read(buf)
				if err != nil {
					return
				}
				buf[0] ^= 0xff
				if _, err := c.Write(buf[:n]); err != nil {
					return
				}
			}
		}()
	}
}

func TestConfigRejectsUnbounded(t *testing.T) {
	target, _ := ParseTarget("tcp", "127.0.0.1:7")
	for _, c := range []Config{
		{Mode: PingPong, Target: target, Conns: 1, Len: 64},
		{Mode: PingPong, Target: target, Conns: 0, Len: 64, Duration: time.Second},
		{Mode: PingPong, Target: target, Conns: 1, Len: 64, Duration: time.Hour},
		{Mode: Dgram, Target: target, Conns: 1, Len: 64, Duration: time.Second},
		{Mode: PingPong, Conns: 1, Len: 64, Duration: time.Second},
	} {
		if _, err := Run(c); err == nil {
			t.Errorf("Run(%+v) accepted", c)
		}
	}
}

// With a Pause, each connection sends once per Pause (plus the round
// trip): the rate is Conns/Pause, not the server's speed.
func TestPingPongPause(t *testing.T) {
	target, err := ParseTarget("tcp", serve(t, "tcp", "127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	const conns, pause = 20, 20 * time.Millisecond
	res, err := Run(Config{Mode: PingPong, Target: target, Conns: conns, Len: 64, Pause: pause,
		Duration: 400 * time.Millisecond, Warmup: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Failed(); err != nil {
		t.Fatalf("%v: %v", res, err)
	}
	ceiling := float64(conns) / pause.Seconds() // 1000/s
	if res.MsgPerSec > 1.1*ceiling || res.MsgPerSec < 0.5*ceiling {
		t.Fatalf("%.0f msg/s with %d connections pausing %v, want about %.0f", res.MsgPerSec, conns, pause, ceiling)
	}
	if _, err := Run(Config{Mode: Flood, Target: target, Conns: 1, Len: 64, Pause: pause, Duration: time.Millisecond}); err == nil {
		t.Fatal("a pause outside pingpong was accepted")
	}
}
