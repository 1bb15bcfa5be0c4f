package main

import (
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/echo-activation/echo-server/bench/internal/loadgen"
	"github.com/echo-activation/echo-server/engine/echotest"
)

// roundResult sums one round of load.
type roundResult struct {
	messages, mismatches, errors, losses uint64
	abusers, halfCloseOK, halfCloseBad   int
}

// workload is one loadgen run of each round.
type workload struct {
	mode         loadgen.Mode
	sock         int // index into the sockets
	conns, bytes int
}

var workloads = []workload{
	{loadgen.PingPong, 0, 50, 512},
	{loadgen.Flood, 0, 8, 4096},
	{loadgen.ConnRate, 0, 8, 64},
	{loadgen.Dgram, 1, 16, 256},
	{loadgen.PingPong, 2, 8, 64},
	{loadgen.Dgram, 3, 4, 128},
}

var loadNetwork = map[string]string{"tcp4": "tcp", "udp4": "udp", "unix": "unix", "unixgram": "unixgram"}

// runRound runs every workload, 20 clients that never read and 10 that
// half-close, all at once for d.
func runRound(socks []echotest.Socket, d time.Duration) (roundResult, error) {
	var (
		mu   sync.Mutex
		res  roundResult
		errs []error
		wg   sync.WaitGroup
	)
	for _, w := range workloads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := runLoad(w, socks[w.sock], d)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			}
			res.messages += r.Messages
			res.mismatches += r.Mismatches
			res.errors += r.Errors
			res.losses += r.Losses
		}()
	}
	res.abusers = neverRead(socks[0].Addr, 20, d)
	res.halfCloseOK, res.halfCloseBad = halfClosers(socks[0].Addr, 10)
	wg.Wait()
	if len(errs) > 0 {
		return res, errs[0]
	}
	return res, nil
}

func runLoad(w workload, s echotest.Socket, d time.Duration) (loadgen.Result, error) {
	t, err := loadgen.ParseTarget(loadNetwork[s.Network], s.Addr)
	if err != nil {
		return loadgen.Result{}, err
	}
	return loadgen.Run(loadgen.Config{Mode: w.mode, Target: t, Conns: w.conns, Len: w.bytes,
		Duration: d, Warmup: 100 * time.Millisecond})
}

// neverRead opens n connections that push 1 MiB writes until d is over and
// never read; it returns how many connected.
func neverRead(addr string, n int, d time.Duration) int {
	chunk := make([]byte, 1<<20)
	var wg sync.WaitGroup
	connected := 0
	for range n {
		c, err := net.Dial("tcp4", addr)
		if err != nil {
			continue
		}
		connected++
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			_ = c.SetWriteDeadline(time.Now().Add(d))
			for {
				if _, err := c.Write(chunk); err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	return connected
}

// halfClosers: n clients each write 256 KiB, shut down their write side,
// then must read exactly what they sent, then EOF.
func halfClosers(addr string, n int) (ok, bad int) {
	msg := make([]byte, 256<<10)
	for i := range msg {
		msg[i] = byte(i * 7)
	}
	for range n {
		if err := halfClose(addr, msg); err != nil {
			fmt.Println("soak: half-close client:", err)
			bad++
			continue
		}
		ok++
	}
	return ok, bad
}

func halfClose(addr string, msg []byte) error {
	c, err := net.Dial("tcp4", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	go func() {
		_, _ = c.Write(msg)
		_ = c.(*net.TCPConn).CloseWrite()
	}()
	got, err := io.ReadAll(c)
	if err != nil {
		return err
	}
	if string(got) != string(msg) {
		return fmt.Errorf("got %d bytes back of %d, or different ones", len(got), len(msg))
	}
	return nil
}
