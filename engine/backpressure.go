package engine

import (
	"reflect"
	"sync"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

// Backpressure: the server reads a connection's next bytes only once the
// kernel has taken every byte the server owes it. gnet v2.9.7 has no public
// call to stop reading a connection, so pause does it on gnet's own epoll
// instance: after an echo that the socket could not take whole, the
// connection's interest becomes EPOLLOUT only. gnet then writes the rest when
// the client reads, and re-arms EPOLLIN itself (Poller.ModRead) once its
// outbound buffer is empty. So:
//   - unsent bytes per connection never exceed one read (the read buffer), so
//     a client that never reads cannot grow the server's memory;
//   - a client that half-closes gets every byte before EOF: gnet reads the
//     EOF (and closes) only when nothing is left to send.
//
// The epoll fd is read with reflection from gnet's eventloop.poller.fd
// (unexported, pinned to v2.9.7); TestPollerFDIsReachable fails loudly if a
// gnet upgrade moves it, and the handler then falls back to closing
// connections whose unsent bytes pass fallbackMaxUnsent.

// fallbackMaxUnsent bounds unsent bytes when pausing is impossible.
const fallbackMaxUnsent = 4 << 20

var pollerFDs sync.Map // gnet.EventLoop -> int (epoll fd), or -1

// pollerFD returns the epoll fd of the event loop, or -1.
func pollerFD(el gnet.EventLoop) int {
	if fd, ok := pollerFDs.Load(el); ok {
		return fd.(int)
	}
	fd := -1
	v := reflect.ValueOf(el)
	if v.Kind() == reflect.Pointer && v.Elem().Kind() == reflect.Struct {
		p := v.Elem().FieldByName("poller")
		if p.IsValid() && p.Kind() == reflect.Pointer && !p.IsNil() {
			if f := p.Elem().FieldByName("fd"); f.IsValid() && f.Kind() == reflect.Int {
				fd = int(f.Int())
			}
		}
	}
	pollerFDs.Store(el, fd)
	return fd
}

// pause stops reading c until gnet has flushed its outbound buffer. It
// reports false when the connection could not be paused.
func pause(c gnet.Conn) bool {
	epfd := pollerFD(c.EventLoop())
	if epfd < 0 {
		return false
	}
	fd := c.Fd()
	ev := unix.EpollEvent{Events: unix.EPOLLOUT, Fd: int32(fd)}
	return unix.EpollCtl(epfd, unix.EPOLL_CTL_MOD, fd, &ev) == nil
}
