//go:build linux

package engine

import (
	"os"
	"unsafe"

	"github.com/echo-activation/echo-server/engine/udprules"
	"golang.org/x/sys/unix"
)

// Batch sizes of the datagram loop: how many datagrams one recvmmsg takes.
const (
	inetBatch = 64
	unixBatch = 16 // unix datagrams can be ~200 KiB each: a smaller batch bounds memory
)

// datagramLoop is one reader of a datagram socket: it echoes in batches.
// One recvmmsg fills up to a batch of buffers and records each sender, and
// one sendmmsg sends the same buffers back to the same senders, so no byte
// is copied in user space. recvmmsg/sendmmsg are called directly with x/sys
// (x/net's batch API allocates per call): the loop allocates nothing after
// newDatagramLoop. They are raw syscalls, without the scheduler hand-off of
// unix.Syscall6: the socket is non-blocking, so they never block, and the
// hand-off would cost a scheduler round per batch
// (bench/results/design-figures.md). A socket has one or several readers
// (datagramgroup.go); datagramwait.go says how each waits.
type datagramLoop struct {
	ds    *datagramSocket // the socket, shared with its other readers
	sv    *served
	w     *datagramWait
	msgs  []unix.Mmsghdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrAny
	skip  []bool // per datagram of the batch: no reply
	// slab holds the batch's buffers. It is mapped directly rather than
	// allocated from the Go heap: several MiB per reader would start the
	// garbage collector during start-up, and untouched pages cost nothing.
	slab []byte
	size int // bytes per buffer: the largest datagram the socket can carry

	n, next int // received in this batch; next to send
}

// newDatagramLoop makes a reader of ds; close releases what it made.
func newDatagramLoop(ds *datagramSocket) (*datagramLoop, error) {
	sv := ds.sv
	batch, size := inetBatch, 1<<16
	if sv.Domain == unix.AF_UNIX {
		batch = unixBatch
		if sndbuf, err := unix.GetsockoptInt(sv.FD, unix.SOL_SOCKET, unix.SO_SNDBUF); err == nil {
			size = max(size, sndbuf)
		}
	}
	slab, err := unix.Mmap(-1, 0, batch*size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return nil, os.NewSyscallError("mmap", err)
	}
	w, err := newDatagramWait(sv.FD, ds.stop, readerWaitFor(sv.Domain, ds.readers))
	if err != nil {
		_ = unix.Munmap(slab)
		return nil, err
	}
	d := &datagramLoop{
		ds: ds, sv: sv, w: w, size: size, slab: slab,
		msgs:  make([]unix.Mmsghdr, batch),
		iovs:  make([]unix.Iovec, batch),
		names: make([]unix.RawSockaddrAny, batch),
		skip:  make([]bool, batch),
	}
	for i := range d.msgs {
		d.iovs[i].Base = &slab[i*size]
		d.msgs[i].Hdr.Iov = &d.iovs[i]
		d.msgs[i].Hdr.Iovlen = 1
		d.msgs[i].Hdr.Name = (*byte)(unsafe.Pointer(&d.names[i]))
		d.msgs[i].Hdr.Namelen = unix.SizeofSockaddrAny
		d.iovs[i].SetLen(size)
	}
	return d, nil
}

func (d *datagramLoop) close() {
	d.w.close()
	_ = unix.Munmap(d.slab)
}

// run echoes until the socket is stopped: after each wakeup it takes
// batches until the socket is empty. A batch it has read is answered
// before it looks at the stop signal again.
func (d *datagramLoop) run(s *Server) {
	for {
		ok, err := d.w.readable()
		if err != nil {
			s.log.Error("datagram socket not read any more", "socket", d.sv.Name, "err", err)
		}
		if !ok {
			return
		}
		for !d.ds.stopped.Load() && d.batch(s) {
		}
	}
}

// batch reads and answers one batch; false: wait before the next (the
// socket is empty, or stopped while a reply waited for room). A batch that
// did not fill up emptied the socket: a reader in epoll goes back to it
// rather than spend a recvmmsg on EAGAIN (the epoll is level-triggered:
// what arrived meanwhile wakes it at once); a reader that waits in poll
// reads again (datagramWait.drains), unless it read nothing (a socket shut
// down for reading returns no datagram and no error).
func (d *datagramLoop) batch(s *Server) bool {
	switch err := d.recv(); {
	case err == unix.EAGAIN:
		return false
	case err != nil:
		d.sv.stats.errors.Add(1)
		s.log.Debug("recvmmsg", "socket", d.sv.Name, "err", err)
		return true
	}
	d.sv.stats.datagramsIn.Add(uint64(d.n))
	if s.opts.Debug {
		s.log.Debug("datagrams", "socket", d.sv.Name, "read", d.n, "bytes", batchBytes(d.msgs[:d.n]))
	}
	d.prepareReplies(s)
	for !d.send() {
		if !d.w.writable() {
			d.dropRest()
			return false
		}
	}
	return d.n == len(d.msgs) || (d.n > 0 && d.w.drains())
}

// dropRest counts the replies of a batch that the socket stopped before
// they could go out (its send queue was full) as dropped.
func (d *datagramLoop) dropRest() {
	for ; d.next < d.n; d.next++ {
		if !d.skip[d.next] {
			d.sv.stats.dropped.Add(1)
		}
	}
}

// recv runs one recvmmsg: nil, EAGAIN (the socket is empty) or its
// error. Only the entries the previous batch used need their lengths reset.
func (d *datagramLoop) recv() error {
	for i := range d.n {
		d.msgs[i].Hdr.Namelen = unix.SizeofSockaddrAny
		d.iovs[i].SetLen(d.size)
	}
	d.n, d.next = 0, 0
	for {
		r, _, e := unix.RawSyscall6(unix.SYS_RECVMMSG, uintptr(d.sv.FD), uintptr(unsafe.Pointer(&d.msgs[0])), uintptr(len(d.msgs)), 0, 0, 0)
		switch e {
		case 0:
			d.n = int(r)
			return nil
		case unix.EINTR:
			continue
		}
		return e
	}
}

// prepareReplies points each reply at the bytes received and marks the
// datagrams that are not answered (see refuse).
func (d *datagramLoop) prepareReplies(s *Server) {
	var in uint64
	var now int64
	if d.sv.guard != nil {
		now = d.sv.guard.Now()
	}
	for i := range d.n {
		m := &d.msgs[i]
		d.iovs[i].SetLen(int(m.Len))
		in += uint64(m.Len)
		d.skip[i] = d.refuse(s, i, now)
		m.Hdr.Flags = 0
	}
	d.sv.stats.bytesIn.Add(in)
}

// batchBytes is the size of the datagrams of a batch (for --debug).
func batchBytes(msgs []unix.Mmsghdr) (n uint64) {
	for _, m := range msgs {
		n += uint64(m.Len)
	}
	return n
}

// refuse reports whether datagram i goes unanswered: cut by the kernel
// (MSG_TRUNC, counted as an error: we never send a shortened echo), from a
// unix client with no bound address to reply to (dropped), or refused by
// the UDP guard (counted by reason).
func (d *datagramLoop) refuse(s *Server, i int, now int64) bool {
	m := &d.msgs[i]
	switch {
	case m.Hdr.Flags&unix.MSG_TRUNC != 0:
		d.sv.stats.errors.Add(1)
		s.log.Warn("datagram truncated, not echoed", "socket", d.sv.Name, "buffer", d.size)
		return true
	case d.sv.Domain == unix.AF_UNIX && m.Hdr.Namelen <= unixUnnamedLen:
		d.sv.stats.dropped.Add(1)
		if s.opts.Debug {
			s.log.Debug("datagram from unbound unix client dropped", "socket", d.sv.Name)
		}
		return true
	case d.sv.guard == nil:
		return false
	}
	r := d.sv.guard.Check(&d.names[i], d.slab[i*d.size:i*d.size+int(m.Len)], now)
	if r == udprules.Answered {
		return false
	}
	d.sv.stats.refused[r].Add(1)
	if d.ds.logs[r].due() {
		s.log.Warn("datagram not answered", "socket", d.sv.Name, "reason", r.String(), "source", udprules.SourceString(&d.names[i]))
	}
	return true
}

// unixUnnamedLen is the address length of an unbound unix socket: the
// family field only.
const unixUnnamedLen = 2

// send runs sendmmsg over each run of answerable replies. It returns false
// to wait until an inet socket can write again (EAGAIN: its send buffer is
// full); a unix peer that does not
// read (EAGAIN), has gone (ECONNREFUSED, ENOENT) or refuses the datagram
// loses only its own reply, counted as dropped, so it cannot stall others.
func (d *datagramLoop) send() bool {
	for d.next < d.n {
		if d.skip[d.next] {
			d.next++
			continue
		}
		end := d.next
		for end < d.n && !d.skip[end] {
			end++
		}
		r, _, e := unix.RawSyscall6(unix.SYS_SENDMMSG, uintptr(d.sv.FD), uintptr(unsafe.Pointer(&d.msgs[d.next])), uintptr(end-d.next), 0, 0, 0)
		switch {
		case e == 0:
			d.countSent(int(r))
		case e == unix.EINTR:
		case e == unix.EAGAIN && d.sv.Domain != unix.AF_UNIX:
			return false
		default:
			d.sv.stats.dropped.Add(1)
			d.next++
		}
	}
	return true
}

func (d *datagramLoop) countSent(k int) {
	var out uint64
	for _, m := range d.msgs[d.next : d.next+k] {
		out += uint64(m.Len)
	}
	d.next += k
	d.sv.stats.datagramsOut.Add(uint64(k))
	d.sv.stats.bytesOut.Add(out)
}
