//go:build linux

package engine

import (
	"context"
	"io"
	"sync"

	"github.com/mdlayher/socket"
	"golang.org/x/sys/unix"
)

// vsock connections cannot enter gnet (its adoption path takes only TCP,
// unix and connected UDP conns), so each one is echoed by a goroutine of its
// own with a pooled buffer. The listener is mdlayher/socket's Conn over the
// adopted fd itself (socket.New does not duplicate it, unlike
// vsock.FileListener), so the adopted fd stays the socket's one live number.
var vsockBuffers = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// serveVsock takes ownership of sv.FD: on error it is closed.
func (s *Server) serveVsock(sv *served) error {
	ln, err := socket.New(sv.FD, "vsock")
	if err != nil {
		_ = closeFD(sv.FD)
		return err
	}
	accept := func() (*socket.Conn, error) {
		c, _, err := ln.Accept(context.Background(), unix.SOCK_CLOEXEC)
		return c, err
	}
	s.run(ln, func() {
		acceptEach(s, sv, accept, func(c *socket.Conn) {
			if !s.admitOrReject(sv) {
				_ = c.Close()
				return
			}
			s.goConns.add(c)
			go s.echoVsock(c, sv)
		})
	})
	return nil
}

func (s *Server) echoVsock(c *socket.Conn, sv *served) {
	defer s.adm.release(sv)
	defer s.goConns.remove(c)
	defer c.Close()
	sv.stats.accepted.Add(1)
	buf := vsockBuffers.Get().(*[]byte)
	defer vsockBuffers.Put(buf)
	n, err := io.CopyBuffer(c, c, *buf)
	sv.stats.bytesIn.Add(uint64(n))
	sv.stats.bytesOut.Add(uint64(n))
	if err != nil {
		sv.stats.errors.Add(1)
	}
}

// connSet holds the connections echoed in goroutines (vsock, unixpacket),
// so that Shutdown can close those still open when the drain time is over,
// and wait for their goroutines.
type connSet struct {
	mu sync.Mutex
	m  map[io.Closer]struct{}
	wg sync.WaitGroup
}

func (cs *connSet) add(c io.Closer) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.m == nil {
		cs.m = make(map[io.Closer]struct{})
	}
	cs.m[c] = struct{}{}
	cs.wg.Add(1)
}

func (cs *connSet) remove(c io.Closer) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	delete(cs.m, c)
	cs.wg.Done()
}

func (cs *connSet) closeAll() {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for c := range cs.m {
		_ = c.Close()
	}
}

// wait waits until every connection added has been removed.
func (cs *connSet) wait() { cs.wg.Wait() }
