package engine

import (
	"net"
	"unsafe"

	"github.com/panjf2000/gnet/v2"
	"github.com/panjf2000/gnet/v2/pkg/socket"
	"golang.org/x/sys/unix"
)

// PROTOTYPE (issue 21, item 1): gnet's loop accepts one connection per
// listener event, so under many connecting clients the loop runs one epoll
// round per connection (measured: accept4 1.00 and 1.4-1.9 epoll_pwait per
// connection, against gnet-native's 1.22 and 1.2-1.4, which drains the
// queue per wake-up). Here the first connection's OnOpen accepts up to
// acceptBatch-1 more and registers them inline on the same loop, through
// gnet v2.9.7's unexported newStreamConn and (*eventloop).register0.
// Only with one loop (with several, EPOLLEXCLUSIVE and balance.go share
// the connections).

//go:linkname gnetNewStreamConn github.com/panjf2000/gnet/v2.newStreamConn
func gnetNewStreamConn(proto string, fd int, el unsafe.Pointer, sa unix.Sockaddr, localAddr, remoteAddr net.Addr) unsafe.Pointer

//go:linkname gnetRegister0 github.com/panjf2000/gnet/v2.(*eventloop).register0
func gnetRegister0(el unsafe.Pointer, c unsafe.Pointer) error

// acceptBatch is the most connections one listener event takes.
const acceptBatch = 16

// acceptMore drains up to acceptBatch-1 queued connections onto c's loop.
func (a *acceptor) acceptMore(c gnet.Conn) {
	if a.batching || len(a.loops) != 1 || a.network == "" {
		return
	}
	a.batching = true // the OnOpens below run inside this call
	defer func() { a.batching = false }()
	el := c.EventLoop()
	elp := (*[2]unsafe.Pointer)(unsafe.Pointer(&el))[1]
	for range acceptBatch - 1 {
		a.mu.Lock()
		on := a.mode == modeLoops
		a.mu.Unlock()
		if !on || a.s.fdsLow() {
			return
		}
		nfd, sa, err := socket.Accept(a.fd)
		if err != nil {
			return
		}
		nc := gnetNewStreamConn(a.network, nfd, elp, sa, a.addr, socket.SockaddrToTCPOrUnixAddr(sa))
		_ = gnetRegister0(elp, nc)
	}
}
