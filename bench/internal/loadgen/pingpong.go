package loadgen

import (
	"time"

	"golang.org/x/sys/unix"
)

// runPingPong: every connection sends Len bytes, waits for the whole echo,
// records the round trip and sends again.
func runPingPong(cfg *Config, m *meter, p *poller) (Result, error) {
	return runStreams(cfg, m, p, (*streamRun).request, (*streamRun).pingpongEvent)
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
