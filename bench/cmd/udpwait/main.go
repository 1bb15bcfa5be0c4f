// Command udpwait is the prototype that chose how several loops wait on one
// UDP socket (issue 22): a bare recvmmsg/sendmmsg echo with N readers that
// wait in one of four ways, for measuring wakeups and CPU per datagram.
//
//	udpwait -mode netpoll|excl|rearm|reuseport -readers N -addr 127.0.0.1:PORT
//
// netpoll: each reader has its own dup of the fd, parked in Go's netpoller
// (the engine's single-loop path before issue 22). excl: each reader on its
// own locked thread, with its own epoll holding its dup with EPOLLEXCLUSIVE.
// rearm: excl, and after each wakeup the reader deletes and re-adds its
// dup, moving its wait entry to the tail of the socket's wait queue.
// reuseport: N sockets bound with SO_REUSEPORT, one reader (excl) each.
// On SIGTERM it prints, per reader, the datagrams echoed, the wakeups that
// found nothing (EAGAIN at once) and the thread's CPU.
package main

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

const batch, size = 64, 2048

type reader struct {
	fd          int
	msgs        []unix.Mmsghdr
	iovs        []unix.Iovec
	names       []unix.RawSockaddrAny
	echoed      atomic.Uint64
	wakes, idle atomic.Uint64
	tid         atomic.Int64
}

func newReader(fd int) *reader {
	r := &reader{fd: fd, msgs: make([]unix.Mmsghdr, batch), iovs: make([]unix.Iovec, batch), names: make([]unix.RawSockaddrAny, batch)}
	slab := make([]byte, batch*size)
	for i := range r.msgs {
		r.iovs[i].Base = &slab[i*size]
		r.msgs[i].Hdr.Iov, r.msgs[i].Hdr.Iovlen = &r.iovs[i], 1
		r.msgs[i].Hdr.Name = (*byte)(unsafe.Pointer(&r.names[i]))
	}
	return r
}

// drain echoes until EAGAIN; it returns the datagrams echoed.
func (r *reader) drain() int {
	total := 0
	for {
		for i := range r.msgs {
			r.msgs[i].Hdr.Namelen = unix.SizeofSockaddrAny
			r.iovs[i].SetLen(size)
		}
		n, _, e := unix.RawSyscall6(unix.SYS_RECVMMSG, uintptr(r.fd), uintptr(unsafe.Pointer(&r.msgs[0])), batch, 0, 0, 0)
		if e != 0 {
			return total
		}
		for i := range int(n) {
			r.iovs[i].SetLen(int(r.msgs[i].Len))
		}
		unix.RawSyscall6(unix.SYS_SENDMMSG, uintptr(r.fd), uintptr(unsafe.Pointer(&r.msgs[0])), n, 0, 0, 0)
		total += int(n)
		r.echoed.Add(uint64(n))
	}
}

func (r *reader) count(n int) {
	r.wakes.Add(1)
	if n == 0 {
		r.idle.Add(1)
	}
}

func (r *reader) netpoll() {
	r.tid.Store(int64(unix.Gettid())) // the thread of its first wait only
	f := os.NewFile(uintptr(r.fd), "udp")
	rc, _ := f.SyscallConn()
	for {
		_ = rc.Read(func(uintptr) bool { r.count(r.drain()); return false })
	}
}

func (r *reader) epoll(rearm bool) {
	runtime.LockOSThread()
	r.tid.Store(int64(unix.Gettid()))
	ep, _ := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLEXCLUSIVE, Fd: int32(r.fd)}
	_ = unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, r.fd, &ev)
	evs := make([]unix.EpollEvent, 1)
	for {
		if _, err := unix.EpollWait(ep, evs, -1); err != nil {
			continue
		}
		r.count(r.drain())
		if rearm {
			_ = unix.EpollCtl(ep, unix.EPOLL_CTL_DEL, r.fd, nil)
			_ = unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, r.fd, &ev)
		}
	}
}

func bind(ap netip.AddrPort, reuse bool) int {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	check(err)
	if reuse {
		check(unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1))
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20)
	check(unix.Bind(fd, &unix.SockaddrInet4{Addr: ap.Addr().As4(), Port: int(ap.Port())}))
	return fd
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "udpwait:", err)
		os.Exit(1)
	}
}

func threadCPU(tid int64) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/stat", tid))
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	return f[11] + "+" + f[12] // utime+stime ticks
}

func main() {
	mode := flag.String("mode", "excl", "netpoll, excl, rearm or reuseport")
	n := flag.Int("readers", 2, "readers")
	addr := flag.String("addr", "127.0.0.1:0", "address")
	flag.Parse()
	ap := netip.MustParseAddrPort(*addr)
	first := bind(ap, *mode == "reuseport")
	var readers []*reader
	for i := range *n {
		fd := first
		switch {
		case *mode == "reuseport" && i > 0:
			fd = bind(ap, true)
		case *mode != "reuseport":
			var err error
			fd, err = unix.FcntlInt(uintptr(first), unix.F_DUPFD_CLOEXEC, 0)
			check(err)
		}
		r := newReader(fd)
		readers = append(readers, r)
		switch *mode {
		case "netpoll":
			go r.netpoll()
		default:
			go r.epoll(*mode == "rearm")
		}
	}
	fmt.Println("ready")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	for i, r := range readers {
		fmt.Printf("reader %d: echoed %d wakes %d empty %d cpu %s\n", i, r.echoed.Load(), r.wakes.Load(), r.idle.Load(), threadCPU(r.tid.Load()))
	}
}
