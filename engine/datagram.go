//go:build linux

package engine

import (
	"os"
	"syscall"
	"time"
	"unsafe"

	"github.com/echo-activation/echo-server/engine/udprules"
	"golang.org/x/sys/unix"
)

// Batch sizes of the datagram loop: how many datagrams one recvmmsg takes.
const (
	inetBatch = 64
	unixBatch = 16 // unix datagrams can be ~200 KiB each: a smaller batch bounds memory
)

// datagramLoop echoes a datagram socket in batches: one recvmmsg fills up to
// a batch of buffers and records each sender, and one sendmmsg sends the same
// buffers back to the same senders, so no byte is copied in user space.
// recvmmsg/sendmmsg are called directly with x/sys (x/net's batch API
// allocates per call): the loop allocates nothing after newDatagramLoop.
// They are raw syscalls, without the scheduler hand-off of unix.Syscall6:
// the socket is non-blocking, so they never block, and the hand-off would
// cost a scheduler round per batch (bench/results/design-figures.md).
type datagramLoop struct {
	sv    *served
	f     *os.File // pollable wrapper of the adopted fd; Close stops the loop
	rc    syscall.RawConn
	msgs  []unix.Mmsghdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrAny
	skip  []bool                       // per datagram of the batch: no reply
	guard *udprules.Guard              // UDP sockets only: what not to answer
	logs  [udprules.NumReasons]rateLog // one refusal line per reason per interval
	// slab holds the batch's buffers. It is mapped directly rather than
	// allocated from the Go heap: several MiB per socket would start the
	// garbage collector during start-up, and untouched pages cost nothing.
	slab []byte
	size int // bytes per buffer: the largest datagram the socket can carry

	n, next int   // received in this batch; next to send
	err     error // recvmmsg error of this batch
	recvFn  func(uintptr) bool
	sendFn  func(uintptr) bool
}

func (s *Server) serveDatagram(sv *served) error {
	d, err := newDatagramLoop(sv)
	if err != nil {
		return err
	}
	if sv.Domain != unix.AF_UNIX {
		d.guard = udprules.New(s.opts.UDPGuard)
	}
	s.run(d, func() { d.run(s) })
	return nil
}

// newDatagramLoop takes ownership of sv.FD: on error it is closed.
func newDatagramLoop(sv *served) (*datagramLoop, error) {
	batch, size := inetBatch, 1<<16
	if sv.Domain == unix.AF_UNIX {
		batch = unixBatch
		if sndbuf, err := unix.GetsockoptInt(sv.FD, unix.SOL_SOCKET, unix.SO_SNDBUF); err == nil {
			size = max(size, sndbuf)
		}
	}
	slab, err := unix.Mmap(-1, 0, batch*size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		_ = closeFD(sv.FD)
		return nil, os.NewSyscallError("mmap", err)
	}
	f := os.NewFile(uintptr(sv.FD), sv.Name)
	rc, err := f.SyscallConn()
	if err != nil {
		_ = f.Close()
		_ = unix.Munmap(slab)
		return nil, err
	}
	d := &datagramLoop{
		sv: sv, f: f, rc: rc, size: size, slab: slab,
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
	d.recvFn, d.sendFn = d.recv, d.send
	return d, nil
}

// Close stops the loop: pending reads and writes return at once.
func (d *datagramLoop) Close() error { return d.f.SetDeadline(time.Unix(1, 0)) }

func (d *datagramLoop) run(s *Server) {
	defer func() { _ = unix.Munmap(d.slab) }()
	defer d.f.Close()
	for {
		if err := d.rc.Read(d.recvFn); err != nil {
			return // deadline set by Close, or the fd is gone
		}
		if d.err != nil {
			d.sv.stats.errors.Add(1)
			s.log.Debug("recvmmsg", "socket", d.sv.Name, "err", d.err)
			continue
		}
		d.sv.stats.datagramsIn.Add(uint64(d.n))
		if s.opts.Debug {
			s.log.Debug("datagrams", "socket", d.sv.Name, "read", d.n, "bytes", batchBytes(d.msgs[:d.n]))
		}
		d.prepareReplies(s)
		if err := d.rc.Write(d.sendFn); err != nil {
			d.finish()
			return
		}
	}
}

// finish answers a batch that Close cut off between its read and its
// replies (rc.Write fails at once once the deadline has passed; a restart
// lost one datagram in ~8 fleet test runs that way): one more non-blocking
// pass, and whatever still cannot go out is counted as dropped.
func (d *datagramLoop) finish() {
	_ = d.rc.Control(func(fd uintptr) { d.send(fd) })
	for ; d.next < d.n; d.next++ {
		if !d.skip[d.next] {
			d.sv.stats.dropped.Add(1)
		}
	}
}

// recv runs one recvmmsg; it returns false to wait for readability. Only
// the entries the previous batch used need their lengths reset.
func (d *datagramLoop) recv(fd uintptr) bool {
	for i := range d.n {
		d.msgs[i].Hdr.Namelen = unix.SizeofSockaddrAny
		d.iovs[i].SetLen(d.size)
	}
	for {
		r, _, e := unix.RawSyscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&d.msgs[0])), uintptr(len(d.msgs)), 0, 0, 0)
		switch e {
		case 0:
			d.n, d.next, d.err = int(r), 0, nil
			return true
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			d.n = 0
			return false
		}
		d.n, d.next, d.err = 0, 0, e
		return true
	}
}

// prepareReplies points each reply at the bytes received and marks the
// datagrams that are not answered (see refuse).
func (d *datagramLoop) prepareReplies(s *Server) {
	var in uint64
	if d.guard != nil {
		d.guard.Tick()
	}
	for i := range d.n {
		m := &d.msgs[i]
		d.iovs[i].SetLen(int(m.Len))
		in += uint64(m.Len)
		d.skip[i] = d.refuse(s, i)
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
func (d *datagramLoop) refuse(s *Server, i int) bool {
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
	case d.guard == nil:
		return false
	}
	r := d.guard.Check(&d.names[i], d.slab[i*d.size:i*d.size+int(m.Len)])
	if r == udprules.Answered {
		return false
	}
	d.sv.stats.refused[r].Add(1)
	if d.logs[r].due() {
		s.log.Warn("datagram not answered", "socket", d.sv.Name, "reason", r.String(), "source", udprules.SourceString(&d.names[i]))
	}
	return true
}

// unixUnnamedLen is the address length of an unbound unix socket: the
// family field only.
const unixUnnamedLen = 2

// send runs sendmmsg over each run of answerable replies. It returns false
// to wait until an inet socket can write again; a unix peer that does not
// read (EAGAIN), has gone (ECONNREFUSED, ENOENT) or refuses the datagram
// loses only its own reply, counted as dropped, so it cannot stall others.
func (d *datagramLoop) send(fd uintptr) bool {
	for d.next < d.n {
		if d.skip[d.next] {
			d.next++
			continue
		}
		end := d.next
		for end < d.n && !d.skip[end] {
			end++
		}
		r, _, e := unix.RawSyscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&d.msgs[d.next])), uintptr(end-d.next), 0, 0, 0)
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
