//go:build linux

package engine

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

// Stream listeners (TCP v4/v6 and unix) are accepted on gnet's own event
// loops, the way gnet accepts its ReusePort listeners: the listening fd is
// an entry of the Client's listener map (shared by every loop) and sits,
// level-triggered, in each loop's epoll instance; gnet's eventloop.run
// calls eventloop.accept for it, which accepts one connection and
// registers it inline on that loop. No goroutine, channel or dup stands
// between accept and echo. The cost is gnet private state
// (gnetprivate.go); without it the server accepts in Go (acceptgo.go).
//
// Why: accepting in Go crosses two pollers and several threads per
// connection (the Go netpoller, an enroller, gnet's loop); here the loop
// that accepts is the loop that serves, as in gnet's own ReusePort path.
// The measurements behind the choice, against the alternatives (a raw
// accept4 loop feeding Enroll; dup3 of the inherited socket over a
// throwaway gnet listener), are in bench/results/design-figures.md.
//
// What it keeps:
//   - gnet ends a loop on any accept error but EAGAIN, EINTR, ECONNRESET
//     and ECONNABORTED, so EMFILE and ENFILE must never reach its accept:
//     when fds run low (fdsLow: the process near RLIMIT_NOFILE or the
//     system near fs.file-max), every listener leaves every loop's epoll
//     and a goroutine accepts with backoff (acceptNearLimit) until fds are
//     ample again.
//   - with several loops, EPOLLEXCLUSIVE wakes one loop per connection, but
//     favours the first (87/13 with two loops); balance.go evens it out.
//   - gnet gives a connection it accepts no context, but its LocalAddr is
//     the listener's listenAddr, which carries the acceptor: connOrigin
//     (stream.go) asks that acceptor to admit it.
//   - TCP options as Go's net sets them on every TCP conn it makes (the Go
//     path's): TCP_NODELAY, and keepalive after 15 s idle, every 15 s, 9
//     probes. They are set once on the listening socket (shared with its
//     other copies, systemd's included), and Linux copies them to every
//     socket accepted from it.

// acceptMode is who accepts on a listener.
type acceptMode int

const (
	modeLoops   acceptMode = iota // gnet's loops (the listener in their epolls)
	modeGo                        // fds are low: acceptNearLimit
	modeStopped                   // StopAccepting
)

// acceptor accepts on one stream listener through gnet's loops.
type acceptor struct {
	s       *Server
	sv      *served
	fd      int         // sv.FD, the acceptor's until StopAccepting
	addr    *listenAddr // LocalAddr of every connection gnet accepts here
	perConn bool        // set the TCP options per connection (the listener refused them)

	mu       sync.Mutex
	mode     acceptMode
	loops    []loopRef
	armed    []bool                     // per loop: the listener is in its epoll
	shares   atomic.Pointer[loopShares] // the loops and their counts, for balance without the lock
	goAccept sync.WaitGroup
	retired  bool // fd holds a placeholder, closed after the loops stop
}

// listenAddr is the listener's address as gnet hands it to every
// connection it accepts (Conn.LocalAddr), carrying the acceptor.
type listenAddr struct {
	net.Addr
	acc *acceptor
}

// newAcceptor enters sv's listener in the Client's listener map; call it
// before the Client starts. It returns nil when sv cannot be accepted on
// the loops (then it is served in Go).
func (s *Server) newAcceptor(sv *served) *acceptor {
	sa, err := unix.Getsockname(sv.FD)
	if err != nil {
		return nil
	}
	a := &acceptor{s: s, sv: sv, fd: sv.FD}
	network := "tcp"
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		a.addr = &listenAddr{&net.TCPAddr{IP: sa.Addr[:], Port: sa.Port}, a}
	case *unix.SockaddrInet6:
		a.addr = &listenAddr{&net.TCPAddr{IP: sa.Addr[:], Port: sa.Port}, a}
	case *unix.SockaddrUnix:
		a.addr, network = &listenAddr{&net.UnixAddr{Name: sa.Name, Net: "unix"}, a}, "unix"
	default:
		return nil
	}
	if network == "tcp" {
		a.perConn = setTCPOptions(a.fd) != nil
	}
	s.priv.addListener(s.client, a.fd, network, a.addr)
	return a
}

// start hands the listener to the loops, or to acceptNearLimit when fds
// are low already or no loop's epoll takes it (acceptNearLimit then tries
// the loops again whenever fds are ample).
func (a *acceptor) start(loops []loopRef) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.loops, a.armed = loops, make([]bool, len(loops))
	a.shares.Store(&loopShares{loops: loops, count: make([]loopCount, len(loops))})
	if a.s.fdsLow() {
		a.toGoLocked()
		return
	}
	if err := a.armAllLocked(); err != nil {
		a.s.log.Warn("event loops refused the listener: accepting in Go", "socket", a.sv.Name, "err", err)
		a.toGoLocked()
	}
}

// armAllLocked puts the listener in every loop's epoll; it fails when
// none takes it.
func (a *acceptor) armAllLocked() error {
	var err error
	for i := range a.loops {
		if e := a.armLocked(i); e != nil {
			err = e
		}
	}
	if !a.anyArmedLocked() {
		return err
	}
	a.mode = modeLoops
	return nil
}

func (a *acceptor) armLocked(i int) error {
	if a.armed[i] {
		return nil
	}
	err := armListener(a.loops[i].epfd, a.fd, len(a.loops) > 1)
	a.armed[i] = err == nil
	return err
}

func (a *acceptor) disarmLocked(i int) {
	if a.armed[i] && disarmListener(a.loops[i].epfd, a.fd) == nil {
		a.armed[i] = false
	}
}

func (a *acceptor) anyArmedLocked() bool {
	for _, on := range a.armed {
		if on {
			return true
		}
	}
	return false
}

// toGoLocked takes the listener off every loop and starts
// acceptNearLimit. A loop that has the listener's event in hand may still
// accept one connection: well within fdHeadroom.
func (a *acceptor) toGoLocked() {
	for i := range a.loops {
		a.disarmLocked(i)
	}
	a.mode = modeGo
	a.goAccept.Add(1)
	go a.acceptNearLimit()
}

// toGo is toGoLocked for a listener on the loops.
func (a *acceptor) toGo() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.mode == modeLoops {
		a.toGoLocked()
	}
}

// backToLoops gives the listener back to the loops once fds are ample; it
// reports whether acceptNearLimit should end.
func (a *acceptor) backToLoops() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.mode != modeGo {
		return true
	}
	if err := a.armAllLocked(); err != nil {
		return false
	}
	a.s.log.Info("file descriptors free again, accepting on the event loops", "socket", a.sv.Name)
	return true
}

// opened is OnOpen's part for a connection gnet accepted on a's listener:
// it admits the connection (or rejects it over MaxConns) and gives it its
// state, evens out the loops and guards the fds.
func (a *acceptor) opened(c gnet.Conn) *connState {
	st := &connState{sv: a.sv, admitted: a.s.admitOrReject(a.sv)}
	c.SetContext(st)
	if st.admitted && a.perConn {
		_ = setTCPOptions(c.Fd())
	}
	if a.s.fdsLow() {
		a.s.loopPath.toGo()
	} else {
		a.balance(c.EventLoop())
	}
	return st
}

// tcpOptions are what Go's net sets on every TCP conn: TCP_NODELAY and
// keepalive (15 s idle, 15 s interval, 9 probes).
var tcpOptions = []struct{ level, opt, value int }{
	{unix.IPPROTO_TCP, unix.TCP_NODELAY, 1},
	{unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1},
	{unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, 15},
	{unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, 15},
	{unix.IPPROTO_TCP, unix.TCP_KEEPCNT, 9},
}

// setTCPOptions sets tcpOptions on the TCP socket fd.
func setTCPOptions(fd int) error {
	for _, o := range tcpOptions {
		if err := unix.SetsockoptInt(fd, o.level, o.opt, o.value); err != nil {
			return err
		}
	}
	return nil
}

// halt takes the listener off the loops for good and waits for
// acceptNearLimit to end (the server is stopping).
func (a *acceptor) halt() {
	a.mu.Lock()
	for i := range a.loops {
		a.disarmLocked(i)
	}
	a.mode = modeStopped
	a.mu.Unlock()
	a.goAccept.Wait()
}

// finish accepts what is queued (in Go: the loops no longer see the
// listener) and closes the socket. Its fd number stays taken by a
// placeholder until the loops have stopped (closePlaceholder): gnet's
// listener map still names it, and no connection may get that number
// while a loop could look it up.
func (a *acceptor) finish() {
	acceptQueued(a.fd, func(nfd int) { a.s.takeConn(nfd, a.sv) })
	if ph, err := unix.Eventfd(0, unix.EFD_CLOEXEC); err == nil {
		a.retired = unix.Dup3(ph, a.fd, unix.O_CLOEXEC) == nil
		_ = unix.Close(ph)
	}
	if !a.retired {
		_ = closeFD(a.fd)
	}
}

// closePlaceholder closes what finish left at the fd number.
func (a *acceptor) closePlaceholder() {
	if a.retired {
		_ = closeFD(a.fd)
	}
}

// quiesce returns once every loop has run a task queued after the
// listeners left its epoll: each loop has then handled every event epoll
// gave it before. A loop that does not answer within a second has stopped.
func quiesce(loops []loopRef) {
	var wg sync.WaitGroup
	for _, l := range loops {
		ran := make(chan struct{})
		task := gnet.RunnableFunc(func(context.Context) error { close(ran); return nil })
		if l.el.Execute(context.Background(), task) != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-ran:
			case <-time.After(time.Second):
			}
		}()
	}
	wg.Wait()
}
