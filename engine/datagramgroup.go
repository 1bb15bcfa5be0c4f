//go:build linux

package engine

import (
	"os"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/echo-activation/echo-server/engine/udprules"
	"golang.org/x/sys/unix"
)

// A UDP address is served by as many readers as Options.Loops (README "UDP
// on every core"). The operator hands it over in one of two ways:
//   - one socket (a plain ListenDatagram= line): Loops readers share the
//     socket, each in its own epoll (datagramwait.go). The server does not
//     turn it into a reuseport group of sockets of its own: started with
//     podman --network=none, the sockets it made would live in the
//     container's network namespace, not the host's, where the inherited
//     one is and the datagrams arrive; and outside a container a new socket
//     can join the group only if the inherited one was bound with
//     SO_REUSEPORT, which a socket systemd passes without ReusePort=yes is
//     not.
//   - a reuseport group: several sockets bound to the same address with
//     SO_REUSEPORT (systemd ReusePort=yes, one ListenDatagram= line per
//     socket). The kernel spreads datagrams over them by a hash of the
//     source, so each is read by Loops divided by their number of readers,
//     at least one (a socket nobody reads would drop its share).
//
// Every reader of one address, on one socket or across a group, judges its
// datagrams with the same udprules.Guard: an echo loop is counted once, and
// one address has one reply budget, not one per loop.
//
// A unix datagram socket has one reader: the kernel serializes its readers
// on the socket's iolock for the whole of each receive (unix_dgram_recvmsg),
// and there is no reuseport for AF_UNIX, so more readers would only wait
// for each other.

// datagramSocket is one datagram socket and its readers. It owns sv.FD and
// closes it when its last reader has stopped.
type datagramSocket struct {
	sv      *served
	readers int
	stop    int         // eventfd, readable once Close has run (in every reader's epoll)
	stopped atomic.Bool // checked between batches, so a busy reader stops too
	once    sync.Once
	logs    [udprules.NumReasons]rateLog // one refusal line per reason per interval, for all readers
}

func (s *Server) serveDatagram(sv *served) error {
	readers := 1
	if sv.Domain != unix.AF_UNIX {
		group := s.datagramGroup(sv)
		readers = max(1, s.opts.Loops/len(group))
		sv.guard = sharedGuard(group, s.opts.UDPGuard)
		if readers > 1 || len(group) > 1 {
			s.log.Info("UDP socket served by several loops", "socket", sv.Name, "addr", sv.Addr,
				"readers", readers, "reuseport_group", len(group))
		}
	}
	ds, err := newDatagramSocket(sv, readers)
	if err != nil {
		return err
	}
	if readers > 1 {
		spareP.Do(addSpareP)
	}
	loops := make([]*datagramLoop, 0, readers)
	for range readers {
		d, err := newDatagramLoop(ds)
		if err != nil {
			for _, d := range loops {
				d.close()
			}
			ds.release()
			return err
		}
		loops = append(loops, d)
	}
	s.run(ds, func() { ds.run(s, loops) })
	return nil
}

// datagramGroup returns the UDP sockets the server serves at sv's address,
// sv among them: more than one only for a reuseport group.
func (s *Server) datagramGroup(sv *served) []*served {
	var group []*served
	for _, o := range s.sockets {
		if o.Kind == Datagram && o.Domain == sv.Domain && o.Addr == sv.Addr {
			group = append(group, o)
		}
	}
	return group
}

// sharedGuard returns the guard of the group's address: the one a socket
// of the group already has, else a new one.
func sharedGuard(group []*served, cfg udprules.Config) *udprules.Guard {
	for _, o := range group {
		if o.guard != nil {
			return o.guard
		}
	}
	return udprules.New(cfg)
}

// spareP adds one P to the Go scheduler, once, when a socket has several
// readers and GOMAXPROCS is not set in the environment. A reader blocked in
// epoll_wait holds no P, but while every P's thread is in a system call
// the runtime's sysmon retakes them every 20 us and never backs off, a
// large share of the server's CPU (README "UDP on every core" has the
// figures, seen in TestUDPReadersShareTheLoad's threads); with one spare
// P it finds an idle one, leaves the readers' Ps alone and sleeps up to
// 10 ms. Setting GOMAXPROCS stops Go from
// following a cgroup's CPU limit as it changes; the limit at start-up
// is kept, plus one.
var spareP sync.Once

func addSpareP() {
	if _, set := os.LookupEnv("GOMAXPROCS"); !set {
		runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + 1)
	}
}

// newDatagramSocket takes ownership of sv.FD: on error it is closed.
func newDatagramSocket(sv *served, readers int) (*datagramSocket, error) {
	stop, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		_ = closeFD(sv.FD)
		return nil, os.NewSyscallError("eventfd", err)
	}
	return &datagramSocket{sv: sv, readers: readers, stop: stop}, nil
}

// Close stops every reader: each answers the batch it holds and returns.
func (ds *datagramSocket) Close() error {
	ds.once.Do(func() {
		ds.stopped.Store(true)
		one := [8]byte{0: 1}
		_, _ = unix.Write(ds.stop, one[:])
	})
	return nil
}

// run runs the readers, each on its own named thread, until Close; the
// first runs on the calling goroutine, which then waits for the others and
// releases the socket.
func (ds *datagramSocket) run(s *Server, loops []*datagramLoop) {
	var wg sync.WaitGroup
	for i, d := range loops[1:] {
		wg.Go(func() { d.runLocked(s, i+1) })
	}
	loops[0].runLocked(s, 0)
	wg.Wait()
	ds.release()
}

// runLocked runs d as reader i on a thread of its own, which ends with it.
func (d *datagramLoop) runLocked(s *Server, i int) {
	lockReaderThread(i) // never unlocked: the runtime ends the thread when the goroutine exits
	defer d.close()
	d.run(s)
}

func (ds *datagramSocket) release() {
	_ = unix.Close(ds.stop)
	_ = closeFD(ds.sv.FD)
}
