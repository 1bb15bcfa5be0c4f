package loadgen

import (
	"time"

	"golang.org/x/sys/unix"
)

// runPingPong: every connection sends Len bytes, waits for the whole echo,
// records the round trip and sends again.
func runPingPong(cfg *Config, m *meter, p *poller) (Result, error) {
	r := newStreamRun(cfg, m, p)
	defer r.closeAll()
	if err := r.dialAll(); err != nil {
		return Result{}, err
	}
	now := time.Now()
	m.start(now)
	for _, s := range r.all {
		if !s.dead {
			r.request(s, now)
		}
	}
	for !m.tick(now) && r.live > 0 {
		evs, err := p.wait(m.waitMs(now))
		if err != nil {
			return Result{}, err
		}
		for _, ev := range evs {
			r.pingpongEvent(ev)
		}
		now = time.Now()
	}
	return m.result(now), nil
}

func (r *streamRun) pingpongEvent(ev unix.EpollEvent) {
	s := r.byFd[ev.Fd]
	if s == nil {
		return
	}
	if ev.Events&unix.EPOLLOUT != 0 {
		r.flush(s)
	}
	if ev.Events&(unix.EPOLLIN|unix.EPOLLERR|unix.EPOLLHUP) == 0 || s.dead {
		return
	}
	if r.readEcho(s) > 0 && s.recvd == s.goal {
		now := time.Now()
		r.m.done(r.cfg.Len, now.Sub(s.t))
		r.request(s, now)
	}
}

// request sends the next Len-byte request on s.
func (r *streamRun) request(s *stream, now time.Time) {
	s.goal += uint64(r.cfg.Len)
	s.t = now
	r.flush(s)
}
