package engine

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest"
)

// The benchmarks measure the server's hot paths through real loopback
// sockets; allocations are counted process-wide, so they include the
// client's (which allocates nothing per message here) and the server's.

func BenchmarkStreamEcho(b *testing.B) {
	for _, size := range []int{64, 4096} {
		b.Run(sizeName(size), func(b *testing.B) {
			_, stats := startServer(b, "tcp4://127.0.0.1:0")
			c, err := net.Dial("tcp4", stats[0].Addr)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			benchPingPong(b, c, size)
		})
	}
}

func BenchmarkDatagramEcho(b *testing.B) {
	for _, network := range []string{"udp4", "unixgram"} {
		b.Run(network, func(b *testing.B) {
			dir := echotest.TempDir(b)
			url := "udp4://127.0.0.1:0"
			if network == "unixgram" {
				url = "unixgram://" + dir + "/g.sock"
			}
			_, stats := startServer(b, url)
			c, err := echotest.Dial(network, stats[0].Addr, dir)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			benchPingPong(b, c, 64)
		})
	}
}

// benchPingPong sends size bytes and waits for all of them back, b.N times,
// checking the last echo byte for byte. Each message carries its number, as
// an honest client's would: the UDP guard refuses one payload repeated from
// one address and port more than 10 times a second (a loop).
func benchPingPong(b *testing.B, c net.Conn, size int) {
	msg, got := echotest.Payload(size, 3), make([]byte, size)
	_ = c.SetDeadline(time.Now().Add(time.Minute))
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		binary.LittleEndian.PutUint64(msg, uint64(i))
		if _, err := c.Write(msg); err != nil {
			b.Fatal(err)
		}
		for n := 0; n < size; {
			k, err := c.Read(got[n:])
			if err != nil {
				b.Fatal(err)
			}
			n += k
		}
	}
	b.StopTimer()
	if err := echotest.Compare(got, msg); err != nil {
		b.Fatal(err)
	}
}

func sizeName(n int) string { return fmt.Sprintf("%dB", n) }

// BenchmarkConnRate measures one connection's whole life: connect, echo 64
// bytes, close.
func BenchmarkConnRate(b *testing.B) {
	_, stats := startServer(b, "tcp4://127.0.0.1:0")
	msg, got := echotest.Payload(64, 4), make([]byte, 64)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		c, err := net.Dial("tcp4", stats[0].Addr)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Write(msg); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, got); err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}
