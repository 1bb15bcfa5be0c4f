package fleet

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest"
)

// tcpLoad opens Rate new connections a second for Duration; on each it
// echoes a Size-byte payload in two halves, Hold apart (so connections stay
// open for a while, as real clients do), and checks every byte.
type tcpLoad struct {
	Addr     string
	Rate     int
	Duration time.Duration
	Size     int
	Hold     time.Duration
	Timeout  time.Duration // per connection, from dial to the last byte
}

// tcpResult counts what the load saw. A connection fails when it cannot be
// opened or does not echo every byte; WrongBytes counts bytes that came
// back different from what was sent.
type tcpResult struct {
	Attempted, Failed, WrongBytes int64
	Errors                        map[string]int64 // failures by kind
	FailedByTenth                 map[int64]int64  // failures by the Unix time, in tenths of a second, they began at
	Slowest                       time.Duration    // the slowest successful connection
}

// run applies the load and returns the counts once every connection ended.
func (l tcpLoad) run() tcpResult {
	res := tcpResult{Errors: map[string]int64{}, FailedByTenth: map[int64]int64{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	total := int(l.Duration.Seconds() * float64(l.Rate))
	interval := time.Second / time.Duration(l.Rate)
	t0 := time.Now()
	for i := range total {
		time.Sleep(time.Until(t0.Add(time.Duration(i) * interval)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			began := time.Now()
			wrong, err := l.one(i)
			mu.Lock()
			defer mu.Unlock()
			res.add(began, wrong, err)
		}()
	}
	wg.Wait()
	return res
}

func (r *tcpResult) add(began time.Time, wrong int64, err error) {
	r.Attempted++
	r.WrongBytes += wrong
	if err == nil {
		r.Slowest = max(r.Slowest, time.Since(began))
		return
	}
	r.Failed++
	r.Errors[errorKind(err)]++
	r.FailedByTenth[began.UnixMilli()/100]++
}

// one runs connection i; it returns the wrong bytes seen and why it failed.
func (l tcpLoad) one(i int) (int64, error) {
	c, err := net.DialTimeout("tcp4", l.Addr, l.Timeout)
	if err != nil {
		return 0, fmt.Errorf("dial: %w", err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(l.Timeout))
	p := echotest.Payload(l.Size, uint64(i))
	half := len(p) / 2
	wrong, err := echoPart(c, p[:half])
	if err != nil {
		return wrong, err
	}
	time.Sleep(l.Hold)
	w, err := echoPart(c, p[half:])
	return wrong + w, err
}

// echoPart writes part and reads its echo; it returns how many of the bytes
// read differ from those sent.
func echoPart(c net.Conn, part []byte) (int64, error) {
	if _, err := c.Write(part); err != nil {
		return 0, fmt.Errorf("write: %w", err)
	}
	got := make([]byte, len(part))
	n, err := io.ReadFull(c, got)
	var wrong int64
	for k := range n {
		if got[k] != part[k] {
			wrong++
		}
	}
	if err != nil {
		return wrong, fmt.Errorf("read %d of %d echoed bytes: %w", n, len(part), err)
	}
	return wrong, nil
}

// errorKind names a failure by where it happened and what the kernel said.
func errorKind(err error) string {
	stage := "read"
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		stage = "dial"
	} else if errors.As(err, &op) && op.Op == "write" {
		stage = "write"
	}
	for _, k := range []struct {
		err  error
		name string
	}{
		{syscall.ECONNREFUSED, "refused"}, {syscall.ECONNRESET, "reset"}, {syscall.EPIPE, "broken pipe"},
		{io.ErrUnexpectedEOF, "closed early"}, {io.EOF, "closed early"}, {os.ErrDeadlineExceeded, "timeout"},
	} {
		if errors.Is(err, k.err) {
			return stage + ": " + k.name
		}
	}
	return stage + ": " + err.Error()
}
