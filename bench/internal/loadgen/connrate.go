package loadgen

import (
	"time"

	"golang.org/x/sys/unix"
)

// worker is one connrate worker: connect, send Len bytes, read the echo,
// close, repeat. Its sockets are edge-triggered for both directions, so a
// connection costs one epoll_ctl.
type worker struct {
	fd   int // -1 while idle (a failed dial waits for the next turn)
	sent bool
	got  int
	base uint64
	t    time.Time
}

type connRun struct {
	*streamRun
	workers []*worker
	byFd    []*worker
	next    uint64 // connections opened, for each one's pattern offset
	idle    int
}

// runConnRate: Conns workers open, use and close connections.
func runConnRate(cfg *Config, m *meter, p *poller) (Result, error) {
	r := &connRun{streamRun: newStreamRun(cfg, m, p)}
	defer r.closeWorkers()
	now := time.Now()
	m.start(now)
	for i := 0; i < cfg.Conns; i++ {
		w := &worker{fd: -1}
		r.workers = append(r.workers, w)
		r.open(w, now)
	}
	m.res.Connected = cfg.Conns
	for !m.tick(now) {
		wait := m.waitMs(now)
		if r.idle > 0 {
			wait = 1
		}
		evs, err := p.wait(wait)
		if err != nil {
			return Result{}, err
		}
		for _, ev := range evs {
			r.event(ev)
		}
		now = time.Now()
		r.reopenIdle(now)
	}
	return m.result(now), nil
}

// open starts a new connection for w; a failed dial leaves w idle.
func (r *connRun) open(w *worker, now time.Time) {
	*w = worker{fd: -1, base: r.next * 7919, t: now}
	r.next++
	fd, _, err := r.cfg.Target.dial()
	if err == nil {
		err = r.p.add(fd, unix.EPOLLIN|unix.EPOLLOUT|unix.EPOLLRDHUP|unix.EPOLLET)
		if err != nil {
			_ = unix.Close(fd)
		}
	}
	if err != nil {
		r.m.res.Errors++
		r.idle++
		return
	}
	w.fd = fd
	for len(r.byFd) <= fd {
		r.byFd = append(r.byFd, nil)
	}
	r.byFd[fd] = w
}

func (r *connRun) reopenIdle(now time.Time) {
	for _, w := range r.workers {
		if r.idle == 0 {
			return
		}
		if w.fd < 0 {
			r.idle--
			r.open(w, now)
		}
	}
}

func (r *connRun) event(ev unix.EpollEvent) {
	w := r.byFd[ev.Fd]
	if w == nil {
		return
	}
	if !w.sent {
		r.send(w) // the first edge: connected, or failed
		return
	}
	if ev.Events&(unix.EPOLLIN|unix.EPOLLERR|unix.EPOLLHUP|unix.EPOLLRDHUP) != 0 {
		r.receive(w)
	}
}

func (r *connRun) send(w *worker) {
	n, err := unix.Write(w.fd, r.pat.at(w.base, r.cfg.Len))
	if err == unix.EAGAIN {
		return // not connected yet; the next edge tells
	}
	if n != r.cfg.Len {
		r.finish(w, false)
		return
	}
	w.sent = true
}

// receive reads until the echo is complete or the socket is drained.
func (r *connRun) receive(w *worker) {
	for w.got < r.cfg.Len {
		n, err := unix.Read(w.fd, r.rbuf)
		if err == unix.EAGAIN {
			return
		}
		if n <= 0 || w.got+n > r.cfg.Len {
			r.m.res.Mismatches += uint64(max(0, w.got+n-r.cfg.Len))
			r.finish(w, false)
			return
		}
		if want := r.pat.at(w.base+uint64(w.got), n); string(want) != string(r.rbuf[:n]) {
			r.m.res.Mismatches += countDiff(r.rbuf[:n], want)
		}
		w.got += n
	}
	r.finish(w, true)
}

// finish closes w's connection, counts it, and opens the next one.
func (r *connRun) finish(w *worker, ok bool) {
	_ = unix.Close(w.fd)
	r.byFd[w.fd] = nil
	now := time.Now()
	if ok {
		r.m.done(r.cfg.Len, now.Sub(w.t))
	} else {
		r.m.res.Errors++
	}
	r.open(w, now)
}

func (r *connRun) closeWorkers() {
	for _, w := range r.workers {
		if w.fd >= 0 {
			_ = unix.Close(w.fd)
		}
	}
}
