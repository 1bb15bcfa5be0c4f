package loadgen

import (
	"bytes"
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// setupTimeout bounds connecting all of a run's connections.
const setupTimeout = 10 * time.Second

// stream is one persistent connection of a pingpong or flood run. Positions
// count bytes of the connection's own byte stream, which is the pattern
// read from offset base.
type stream struct {
	fd    int
	base  uint64    // pattern offset of this connection's stream
	sent  uint64    // bytes written
	goal  uint64    // bytes to have written
	recvd uint64    // bytes echoed and checked
	t     time.Time // pingpong: when the current request was sent
	out   bool      // EPOLLOUT armed
	up    bool      // connected
	dead  bool
}

// streamRun holds the state shared by the persistent-connection modes.
type streamRun struct {
	cfg  *Config
	m    *meter
	p    *poller
	pat  pattern
	rbuf []byte
	byFd []*stream
	all  []*stream
	live int

	paused pauses // pingpong with a Pause: connections waiting to send
}

func newStreamRun(cfg *Config, m *meter, p *poller) *streamRun {
	return &streamRun{cfg: cfg, m: m, p: p, pat: newPattern(), rbuf: make([]byte, maxChunk)}
}

// dialAll connects cfg.Conns connections; failures count as errors and an
// error is returned only if none connected.
func (r *streamRun) dialAll() error {
	deadline := time.Now().Add(setupTimeout)
	pending := 0
	for i := 0; i < r.cfg.Conns && time.Now().Before(deadline); i++ {
		fd, pend, err := r.cfg.Target.dial()
		for retryable(err) && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
			fd, pend, err = r.cfg.Target.dial()
		}
		if err != nil {
			r.m.res.Errors++
			continue
		}
		s := &stream{fd: fd, base: uint64(i) * 4099, up: !pend}
		r.track(s)
		if pend {
			pending++
			err = r.p.add(fd, unix.EPOLLOUT)
		} else {
			err = r.p.add(fd, unix.EPOLLIN)
		}
		if err != nil {
			return err
		}
	}
	r.awaitConnects(pending, deadline)
	r.m.res.Connected = r.live
	if r.live == 0 {
		return fmt.Errorf("loadgen: no connection to %s %s", r.cfg.Target.Network, r.cfg.Target.Addr)
	}
	return nil
}

// awaitConnects finishes non-blocking connects; those still pending at
// the deadline are dropped as errors.
func (r *streamRun) awaitConnects(pending int, deadline time.Time) {
	for pending > 0 && time.Now().Before(deadline) {
		evs, err := r.p.wait(100)
		if err != nil {
			break
		}
		for _, ev := range evs {
			s := r.byFd[ev.Fd]
			if s.up || s.dead {
				continue
			}
			pending--
			if sockError(s.fd) != nil || r.p.mod(s.fd, unix.EPOLLIN) != nil {
				r.fail(s)
				continue
			}
			s.up = true
		}
	}
	for _, s := range r.all {
		if !s.up && !s.dead {
			r.fail(s)
		}
	}
}

func (r *streamRun) track(s *stream) {
	for len(r.byFd) <= s.fd {
		r.byFd = append(r.byFd, nil)
	}
	r.byFd[s.fd] = s
	r.all = append(r.all, s)
	r.live++
}

// fail counts an error and closes s.
func (r *streamRun) fail(s *stream) {
	r.m.res.Errors++
	s.dead = true
	r.live--
	_ = unix.Close(s.fd)
	r.byFd[s.fd] = nil
}

func (r *streamRun) closeAll() {
	for _, s := range r.all {
		if !s.dead {
			_ = unix.Close(s.fd)
		}
	}
}

// readEcho reads what s has and checks it against the pattern. It returns
// the bytes read; 0 when nothing was ready or the connection failed.
func (r *streamRun) readEcho(s *stream) int {
	n, err := unix.Read(s.fd, r.rbuf)
	switch {
	case n > 0:
		r.check(s, r.rbuf[:n])
		return n
	case err == unix.EAGAIN || err == unix.EINTR:
		return 0
	}
	r.fail(s) // EOF or a reset: the server must not close on us
	return 0
}

// check compares echoed bytes with what s sent; bytes beyond what was sent
// are mismatches too.
func (r *streamRun) check(s *stream, b []byte) {
	if out := s.sent - s.recvd; uint64(len(b)) > out {
		r.m.res.Mismatches += uint64(len(b)) - out
		b = b[:out]
	}
	want := r.pat.at(s.base+s.recvd, len(b))
	if !bytes.Equal(b, want) {
		r.m.res.Mismatches += countDiff(b, want)
	}
	s.recvd += uint64(len(b))
}

func countDiff(a, b []byte) uint64 {
	var n uint64
	for i := range a {
		if a[i] != b[i] {
			n++
		}
	}
	return n
}

// flush writes pattern bytes up to s.goal and arms EPOLLOUT while the
// socket is full.
func (r *streamRun) flush(s *stream) {
	for s.sent < s.goal {
		chunk := int(min(s.goal-s.sent, maxChunk))
		n, err := unix.Write(s.fd, r.pat.at(s.base+s.sent, chunk))
		switch {
		case n > 0:
			s.sent += uint64(n)
		case err == unix.EINTR:
		case err == unix.EAGAIN:
			r.arm(s, true)
			return
		default:
			r.fail(s)
			return
		}
	}
	r.arm(s, false)
}

func (r *streamRun) arm(s *stream, out bool) {
	if s.out == out {
		return
	}
	ev := uint32(unix.EPOLLIN)
	if out {
		ev |= unix.EPOLLOUT
	}
	if r.p.mod(s.fd, ev) != nil {
		r.fail(s)
		return
	}
	s.out = out
}

// runStreams dials every connection, starts each live one with begin, then
// hands every epoll event to handle until the measured window ends or no
// connection is left: the loop that ping-pong and flood share.
func runStreams(cfg *Config, m *meter, p *poller, begin func(*streamRun, *stream, time.Time),
	handle func(*streamRun, unix.EpollEvent)) (Result, error) {
	r := newStreamRun(cfg, m, p)
	defer r.closeAll()
	if err := r.dialAll(); err != nil {
		return Result{}, err
	}
	now := time.Now()
	m.start(now)
	for _, s := range r.all {
		if !s.dead {
			begin(r, s, now)
		}
	}
	for !m.tick(now) && r.live > 0 {
		evs, err := p.wait(r.waitMs(now))
		if err != nil {
			return Result{}, err
		}
		for _, ev := range evs {
			handle(r, ev)
		}
		now = time.Now()
		r.paused.due(now, func(s *stream) {
			if !s.dead {
				r.request(s, now)
			}
		})
	}
	return m.result(now), nil
}

// waitMs is how long the loop may sleep: until the meter needs it or the
// first pause ends.
func (r *streamRun) waitMs(now time.Time) int {
	ms := r.m.waitMs(now)
	if due, ok := r.paused.next(); ok {
		ms = min(ms, clampMs(due.Sub(now), ms))
	}
	return ms
}
