package loadgen

import (
	"time"

	"golang.org/x/sys/unix"
)

// runPingPong: every connection sends Len bytes, waits for the whole echo,
// records the round trip and sends again, after Pause when it is set (the
// first requests then spread over one Pause).
func runPingPong(cfg *Config, m *meter, p *poller) (Result, error) {
	begin := (*streamRun).request
	if cfg.Pause > 0 {
		i := 0
		begin = func(r *streamRun, s *stream, now time.Time) {
			r.paused.add(s, now.Add(cfg.Pause*time.Duration(i)/time.Duration(cfg.Conns)))
			i++
		}
	}
	return runStreams(cfg, m, p, begin, (*streamRun).pingpongEvent)
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
		if r.cfg.Pause > 0 {
			r.paused.add(s, now.Add(r.cfg.Pause))
			return
		}
		r.request(s, now)
	}
}

// request sends the next Len-byte request on s.
func (r *streamRun) request(s *stream, now time.Time) {
	s.goal += uint64(r.cfg.Len)
	s.t = now
	r.flush(s)
}
