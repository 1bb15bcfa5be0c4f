package loadgen

import (
	"time"

	"golang.org/x/sys/unix"
)

// runFlood: every connection keeps up to Window bytes in flight, topping
// the window up in one write once half of it has come back.
func runFlood(cfg *Config, m *meter, p *poller) (Result, error) {
	begin := func(r *streamRun, s *stream, _ time.Time) {
		s.goal = uint64(cfg.Window)
		r.flush(s)
	}
	return runStreams(cfg, m, p, begin, (*streamRun).floodEvent)
}

func (r *streamRun) floodEvent(ev unix.EpollEvent) {
	s := r.byFd[ev.Fd]
	if s == nil {
		return
	}
	if ev.Events&(unix.EPOLLIN|unix.EPOLLERR|unix.EPOLLHUP) != 0 {
		before := s.recvd
		if n := r.readEcho(s); n > 0 {
			l := uint64(r.cfg.Len)
			r.m.add(int(s.recvd/l-before/l), n)
		}
	}
	if s.dead {
		return
	}
	if win := uint64(r.cfg.Window); s.goal-s.recvd <= win/2 {
		s.goal = s.recvd + win
		r.flush(s)
	} else if ev.Events&unix.EPOLLOUT != 0 {
		r.flush(s)
	}
}
