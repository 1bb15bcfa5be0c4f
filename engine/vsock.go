package engine

import (
	"io"
	"net"
	"sync"

	"github.com/mdlayher/vsock"
)

// vsock connections cannot enter gnet (its adoption path takes only TCP,
// unix and connected UDP conns), so each one is echoed by a goroutine of its
// own with a pooled buffer.
var vsockBuffers = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

func (s *Server) serveVsock(sv *served) error {
	ln, err := fromFD(sv, vsock.FileListener)
	if err != nil {
		return err
	}
	s.run(ln, func() {
		s.acceptLoop(ln, sv, func(c net.Conn) {
			s.vsockOpen.Add(1)
			go s.echoVsock(c, sv)
		})
	})
	return nil
}

func (s *Server) echoVsock(c net.Conn, sv *served) {
	defer s.vsockOpen.Done()
	s.vsockConns.add(c)
	defer s.vsockConns.remove(c)
	defer c.Close()
	sv.stats.accepted.Add(1)
	sv.stats.open.Add(1)
	defer sv.stats.open.Add(-1)
	buf := vsockBuffers.Get().(*[]byte)
	defer vsockBuffers.Put(buf)
	n, err := io.CopyBuffer(c, c, *buf)
	sv.stats.bytesIn.Add(uint64(n))
	sv.stats.bytesOut.Add(uint64(n))
	if err != nil {
		sv.stats.errors.Add(1)
	}
}

// connSet holds the vsock connections being echoed, so that Shutdown can
// close those still open when the drain time is over.
type connSet struct {
	mu sync.Mutex
	m  map[net.Conn]struct{}
}

func (cs *connSet) add(c net.Conn) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.m == nil {
		cs.m = make(map[net.Conn]struct{})
	}
	cs.m[c] = struct{}{}
}

func (cs *connSet) remove(c net.Conn) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	delete(cs.m, c)
}

func (cs *connSet) closeAll() {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for c := range cs.m {
		_ = c.Close()
	}
}
