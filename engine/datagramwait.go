//go:build linux

package engine

import (
	"os"
	"runtime"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

// datagramWait is how one reader of a datagram socket waits for it, in one
// of three ways (readerWaitFor picks it).
//
// A reader of several (waitShared) has its own epoll instance holding the
// socket with EPOLLEXCLUSIVE, so an arrival wakes one idle reader, not all
// of them; and after each wakeup it deletes and re-adds the socket, which
// moves its entry to the tail of the socket's wait queue, so the next
// arrival wakes the reader that has waited longest. Go's netpoller (one dup
// per reader) wakes every reader for each arrival and leaves most of the
// work to one; EPOLLEXCLUSIVE alone still favours the first waiter;
// re-armed, the readers share the work evenly at every load, at the same
// CPU per datagram (the measurement: bench/results/udp-readers-2026-12-04.md).
// Every epoll holds the same fd (a dup per reader would only add an fd),
// and the socket's stop eventfd, level-triggered and not exclusive: one
// write to it stops every reader. The only reader of a UDP socket
// (waitEpoll) waits in an epoll the same way, without the re-queue.
//
// The only reader of a unix socket (waitPoll) waits in poll(2) on the
// socket and the stop eventfd, and only once a recvmmsg found the socket
// empty. An epoll instance keeps its entry on the socket's wait queue for
// good, so each datagram a client sends runs epoll's wake-up callback in
// the client's send, busy reader or not; poll's entry is there only while
// the reader sleeps, as a reader blocked in recvmmsg (the C baseline) has
// it: the clients' sends cost less and the reader sleeps less often, which
// brought the unixgram bench cell to the C baseline's rate; a UDP socket's
// reader was not faster this way, so it keeps its epoll (the measurement:
// bench/results/unixgram-2026-12-04-vm.md).
type datagramWait struct {
	fd, ep, stop int  // ep is -1 for waitPoll
	rearm        bool // waitShared: yield the head of the queue after each wakeup
	woken        bool // rearm before the next wait
	ev           unix.EpollEvent
	evs          [2]unix.EpollEvent
	in           [2]unix.PollFd // waitPoll: the socket readable, or stop
	out          [2]unix.PollFd // the socket writable, or stop
}

// readerWait is how a reader waits (see datagramWait).
type readerWait int

const (
	waitEpoll  readerWait = iota // the only reader of a UDP socket
	waitShared                   // one of several readers of a UDP socket
	waitPoll                     // the only reader of a unix socket
)

// readerWaitFor is the wait of a reader of a socket of domain that has
// readers readers.
func readerWaitFor(domain, readers int) readerWait {
	switch {
	case readers > 1:
		return waitShared
	case domain == unix.AF_UNIX:
		return waitPoll
	}
	return waitEpoll
}

// newDatagramWait waits on fd and stop, neither of which it owns; close
// releases only the epoll instance it may have made.
func newDatagramWait(fd, stop int, mode readerWait) (*datagramWait, error) {
	w := &datagramWait{fd: fd, ep: -1, stop: stop, rearm: mode == waitShared,
		ev:  unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLEXCLUSIVE, Fd: int32(fd)},
		in:  [2]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}, {Fd: int32(stop), Events: unix.POLLIN}},
		out: [2]unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}, {Fd: int32(stop), Events: unix.POLLIN}},
	}
	if mode == waitPoll {
		return w, nil
	}
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	stopEv := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(stop)}
	if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, stop, &stopEv); err != nil {
		_ = unix.Close(ep)
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, fd, &w.ev); err != nil {
		_ = unix.Close(ep)
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	w.ep = ep
	return w, nil
}

func (w *datagramWait) close() {
	if w.ep >= 0 {
		_ = unix.Close(w.ep)
	}
}

// drains reports whether the reader reads until recvmmsg finds the socket
// empty before it waits: in poll, a wait that finds a datagram at once
// still costs the wait-queue entries set up and taken down, and one has
// usually arrived while the last batch was answered (see datagramLoop.batch).
func (w *datagramWait) drains() bool { return w.ep < 0 }

// readable blocks until the socket may be readable; it returns false once
// the socket is stopped (or its epoll or poll fails, which is an error).
func (w *datagramWait) readable() (bool, error) {
	if w.ep < 0 {
		return w.pollIn()
	}
	if w.woken && w.rearm {
		if err := w.requeue(); err != nil {
			return false, err
		}
	}
	for {
		n, err := unix.EpollWait(w.ep, w.evs[:], -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return false, os.NewSyscallError("epoll_wait", err)
		}
		for _, ev := range w.evs[:n] {
			if ev.Fd == int32(w.stop) {
				return false, nil
			}
		}
		w.woken = true
		return true, nil
	}
}

// pollIn is readable for waitPoll.
func (w *datagramWait) pollIn() (bool, error) {
	if err := pollUntil(&w.in); err != nil {
		return false, os.NewSyscallError("poll", err)
	}
	return w.in[1].Revents == 0, nil
}

// pollUntil waits in poll(2) until pfd[0] (the socket) or pfd[1] (stop)
// has an event, through signals.
func pollUntil(pfd *[2]unix.PollFd) error {
	for {
		pfd[0].Revents, pfd[1].Revents = 0, 0
		if _, err := unix.Poll(pfd[:], -1); err != unix.EINTR {
			return err
		}
	}
}

// requeue moves the reader's wait entry to the tail of the socket's wait
// queue (EPOLL_CTL_MOD is refused for EPOLLEXCLUSIVE). ADD checks the
// socket at once, so an arrival between the two calls is not missed.
func (w *datagramWait) requeue() error {
	if err := unix.EpollCtl(w.ep, unix.EPOLL_CTL_DEL, w.fd, nil); err != nil {
		return os.NewSyscallError("epoll_ctl", err)
	}
	return os.NewSyscallError("epoll_ctl", unix.EpollCtl(w.ep, unix.EPOLL_CTL_ADD, w.fd, &w.ev))
}

// writable blocks until the socket can take a datagram again; false: the
// socket is stopped.
func (w *datagramWait) writable() bool {
	return pollUntil(&w.out) == nil && w.out[1].Revents == 0
}

// lockReaderThread pins the calling goroutine to its thread for good and
// names the thread udp-reader-i (in /proc/PID/task/*/comm, top -H, perf), so
// each reader's share of the CPU can be read per thread. The goroutine must
// exit without unlocking: the runtime then ends the thread, and the name
// ends with it.
func lockReaderThread(i int) {
	runtime.LockOSThread()
	name := []byte("udp-reader-" + strconv.Itoa(i) + "\x00")
	_ = unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(&name[0])), 0, 0, 0)
	runtime.KeepAlive(name)
}
