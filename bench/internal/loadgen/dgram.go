package loadgen

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// lateWindow is how many earlier datagrams a reply is checked against
// before it counts as a mismatch rather than a late echo.
const lateWindow = 8

// dsock is one datagram socket with at most one datagram outstanding.
// Datagram seq carries pattern bytes at base+seq*Len.
type dsock struct {
	fd      int
	base    uint64
	seq     uint64
	t       time.Time
	unsent  bool // the last send hit a full queue; retry it
	waiting bool
}

type dgramRun struct {
	*streamRun
	socks []*dsock
	byFd  []*dsock
	dir   string // unixgram: where client sockets are bound
}

// runDgram: Conns sockets ping-pong Len-byte datagrams; a datagram without
// an echo within Timeout is a loss and the socket moves on.
func runDgram(cfg *Config, m *meter, p *poller) (Result, error) {
	r := &dgramRun{streamRun: newStreamRun(cfg, m, p)}
	defer r.cleanup()
	if err := r.openAll(); err != nil {
		return Result{}, err
	}
	now := time.Now()
	m.start(now)
	for _, s := range r.socks {
		r.send(s, now)
	}
	for !m.tick(now) {
		evs, err := p.wait(r.waitMs(now))
		if err != nil {
			return Result{}, err
		}
		for _, ev := range evs {
			r.receive(r.byFd[ev.Fd])
		}
		now = time.Now()
		r.expire(now)
	}
	return m.result(now), nil
}

func (r *dgramRun) waitMs(now time.Time) int {
	return min(r.m.waitMs(now), clampMs(r.cfg.Timeout/4, 100))
}

// openAll creates and connects the sockets; unixgram clients bind their
// own paths in a fresh temporary directory so the server can reply.
func (r *dgramRun) openAll() error {
	if r.cfg.Target.Network == "unixgram" {
		dir, err := os.MkdirTemp("", "lg")
		if err != nil {
			return err
		}
		r.dir = dir
	}
	for i := 0; i < r.cfg.Conns; i++ {
		fd, err := r.open(i)
		if err != nil {
			return fmt.Errorf("loadgen: datagram socket %d: %w", i, err)
		}
		s := &dsock{fd: fd, base: uint64(i) * 4099}
		r.socks = append(r.socks, s)
		for len(r.byFd) <= fd {
			r.byFd = append(r.byFd, nil)
		}
		r.byFd[fd] = s
	}
	r.m.res.Connected = len(r.socks)
	return nil
}

func (r *dgramRun) open(i int) (int, error) {
	fd, err := r.cfg.Target.socket()
	if err != nil {
		return -1, err
	}
	if r.dir != "" {
		err = unix.Bind(fd, &unix.SockaddrUnix{Name: filepath.Join(r.dir, fmt.Sprint(i))})
	}
	if err == nil {
		err = unix.Connect(fd, r.cfg.Target.sa)
	}
	if err == nil {
		err = r.p.add(fd, unix.EPOLLIN)
	}
	if err != nil {
		_ = unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

func (r *dgramRun) payload(s *dsock, seq uint64) []byte {
	return r.pat.at(s.base+seq*uint64(r.cfg.Len), r.cfg.Len)
}

// send transmits datagram s.seq.
func (r *dgramRun) send(s *dsock, now time.Time) {
	s.t = now
	_, err := unix.Write(s.fd, r.payload(s, s.seq))
	s.unsent = err == unix.EAGAIN || err == unix.ENOBUFS
	s.waiting = !s.unsent
	if err != nil && !s.unsent {
		r.m.res.Errors++
	}
}

func (r *dgramRun) receive(s *dsock) {
	if s == nil {
		return
	}
	n, err := unix.Read(s.fd, r.rbuf)
	if err != nil {
		if err != unix.EAGAIN && err != unix.EINTR {
			r.m.res.Errors++ // e.g. ECONNREFUSED from an ICMP error
		}
		return
	}
	b := r.rbuf[:n]
	if s.waiting && bytes.Equal(b, r.payload(s, s.seq)) {
		now := time.Now()
		r.m.done(n, now.Sub(s.t))
		s.seq++
		r.send(s, now)
		return
	}
	for j := uint64(1); j <= lateWindow && j <= s.seq; j++ {
		if bytes.Equal(b, r.payload(s, s.seq-j)) {
			r.m.res.Late++
			return
		}
	}
	r.m.res.Mismatches += uint64(max(n, 1))
}

// expire counts datagrams that got no echo in time as lost, sends the next
// ones, and retries sends that found a full queue.
func (r *dgramRun) expire(now time.Time) {
	for _, s := range r.socks {
		switch {
		case s.unsent:
			r.send(s, now)
		case s.waiting && now.Sub(s.t) > r.cfg.Timeout:
			r.m.res.Losses++
			s.seq++
			r.send(s, now)
		}
	}
}

func (r *dgramRun) cleanup() {
	for _, s := range r.socks {
		_ = unix.Close(s.fd)
	}
	if r.dir != "" {
		_ = os.RemoveAll(r.dir)
	}
}
