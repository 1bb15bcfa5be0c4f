package engine

import (
	"errors"
	"fmt"
	"reflect"
	"runtime/debug"
	"sync"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

// This file holds every touch of gnet's private state, and nothing else
// does. It is written for gnet v2.9.7 (gnetPinned), which has no public
// call for what it does:
//
//   - pauseReading (backpressure.go) changes a connection's registration
//     in its event loop's epoll instance to EPOLLOUT only. It reads
//     eventloop.poller (*netpoll.Poller) and Poller.fd (int), and writes
//     no gnet memory, only the epoll registration, in the form gnet's
//     default poller keeps it: the fd number in the epoll data.
//
// Under gnet's poll_opt build tag the epoll data holds a *PollAttachment
// instead, and an fd number written there crashes gnet: the engine refuses
// to build with that tag (gnetprivate_pollopt.go).
//
// Before the first use, checkGnet verifies that the gnet linked in is the
// pinned version and that every field above exists with the expected type.
// When a check fails (or a test forces it), the server runs on gnet's
// public API alone and logs why once: without pausing, a connection whose
// unsent echo passes fallbackMaxUnsent is closed instead.

const (
	gnetModule = "github.com/panjf2000/gnet/v2"
	gnetPinned = "v2.9.7"
)

// gnetPrivate is the checked layout of gnet's private state: the field
// index paths this file reads. A nil *gnetPrivate is the fallback.
type gnetPrivate struct {
	loopType   reflect.Type // *gnet.eventloop, the dynamic type of gnet.EventLoop
	loopPoller []int        // eventloop.poller
	pollerFD   []int        // netpoll.Poller.fd
	epfds      sync.Map     // gnet.EventLoop -> int: each loop's epoll fd
}

// checkGnet runs the start-up check once per process.
var checkGnet = sync.OnceValues(func() (*gnetPrivate, error) {
	if err := checkGnetVersion(debug.ReadBuildInfo()); err != nil {
		return nil, err
	}
	return gnetLayout()
})

// openGnetPrivate returns the private access for a new server, or nil and
// why not. off forces the fallback (tests).
func openGnetPrivate(off bool) (*gnetPrivate, error) {
	if off {
		return nil, errors.New("turned off")
	}
	return checkGnet()
}

// checkGnetVersion fails unless the binary links gnetPinned. Test binaries
// carry no dependency list (go test does not record one); for them go.mod
// is the pin, which TestGnetPinnedInGoMod checks.
func checkGnetVersion(bi *debug.BuildInfo, ok bool) error {
	if !ok || len(bi.Deps) == 0 {
		return nil
	}
	for _, d := range bi.Deps {
		if d.Path != gnetModule {
			continue
		}
		if d.Replace != nil {
			d = d.Replace
		}
		if d.Version != gnetPinned {
			return fmt.Errorf("%s is %s %q, the private access is written for %s", gnetModule, d.Path, d.Version, gnetPinned)
		}
		return nil
	}
	return fmt.Errorf("%s not found in the build info", gnetModule)
}

// gnetLayout finds and type-checks the fields this file reads.
func gnetLayout() (*gnetPrivate, error) {
	p := &gnetPrivate{}
	eng, err := fieldOf(reflect.TypeFor[gnet.Engine](), "eng", "*gnet.engine")
	if err != nil {
		return nil, err
	}
	ingress, err := fieldOf(eng.Type.Elem(), "ingress", "*gnet.eventloop")
	if err != nil {
		return nil, err
	}
	p.loopType = ingress.Type
	poller, err := fieldOf(p.loopType.Elem(), "poller", "*netpoll.Poller")
	if err != nil {
		return nil, err
	}
	fd, err := fieldOf(poller.Type.Elem(), "fd", "int")
	if err != nil {
		return nil, err
	}
	p.loopPoller, p.pollerFD = poller.Index, fd.Index
	return p, nil
}

// fieldOf returns the field name of struct type t, checking that its type
// prints as want (the package name qualifies it; the version check pins the
// package).
func fieldOf(t reflect.Type, name, want string) (reflect.StructField, error) {
	if t.Kind() != reflect.Struct {
		return reflect.StructField{}, fmt.Errorf("gnet %s is not a struct", t)
	}
	f, ok := t.FieldByName(name)
	if !ok {
		return f, fmt.Errorf("gnet %s has no field %s", t, name)
	}
	if got := f.Type.String(); got != want {
		return f, fmt.Errorf("gnet %s.%s is %s, want %s", t, name, got, want)
	}
	return f, nil
}

// epollFD returns the epoll fd of event loop el, or -1.
func (p *gnetPrivate) epollFD(el gnet.EventLoop) int {
	if fd, ok := p.epfds.Load(el); ok {
		return fd.(int)
	}
	fd := -1
	v := reflect.ValueOf(el)
	if v.Type() == p.loopType && !v.IsNil() {
		if poller := v.Elem().FieldByIndex(p.loopPoller); !poller.IsNil() {
			fd = int(poller.Elem().FieldByIndex(p.pollerFD).Int())
		}
	}
	p.epfds.Store(el, fd)
	return fd
}

// pauseReading makes c's event loop wait for c to become writable only,
// not readable; gnet restores EPOLLIN itself (Poller.ModRead) once its
// outbound buffer is empty. It reports whether c was paused.
func (p *gnetPrivate) pauseReading(c gnet.Conn) bool {
	if p == nil {
		return false
	}
	epfd := p.epollFD(c.EventLoop())
	if epfd < 0 {
		return false
	}
	fd := c.Fd()
	ev := unix.EpollEvent{Events: unix.EPOLLOUT, Fd: int32(fd)}
	return unix.EpollCtl(epfd, unix.EPOLL_CTL_MOD, fd, &ev) == nil
}
