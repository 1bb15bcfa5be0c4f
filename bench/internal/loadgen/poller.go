package loadgen

import (
	"golang.org/x/sys/unix"
)

// poller is a thin epoll set. fds are kept in each event's Fd field.
type poller struct {
	epfd   int
	events []unix.EpollEvent
}

func newPoller(size int) (*poller, error) {
	fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	return &poller{epfd: fd, events: make([]unix.EpollEvent, min(size, 1024))}, nil
}

func (p *poller) ctl(op, fd int, ev uint32) error {
	return unix.EpollCtl(p.epfd, op, fd, &unix.EpollEvent{Events: ev, Fd: int32(fd)})
}

func (p *poller) add(fd int, ev uint32) error { return p.ctl(unix.EPOLL_CTL_ADD, fd, ev) }
func (p *poller) mod(fd int, ev uint32) error { return p.ctl(unix.EPOLL_CTL_MOD, fd, ev) }

// wait returns ready events, waiting at most msec milliseconds.
func (p *poller) wait(msec int) ([]unix.EpollEvent, error) {
	for {
		n, err := unix.EpollWait(p.epfd, p.events, msec)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		return p.events[:n], nil
	}
}

func (p *poller) close() { _ = unix.Close(p.epfd) }
