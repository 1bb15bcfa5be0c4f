//go:build linux

package engine

import (
	"errors"
	"fmt"
	"net"
	"reflect"
	"runtime/debug"
	"sync"
	"unsafe"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

// This file holds every touch of gnet's private state, and nothing else
// does. It is written for gnet v2.9.7 (gnetPinned), which has no public
// call for what it does:
//
//   - addListener (accept.go) writes one entry into the engine's listener
//     map (engine.listeners, map[int]*listener, which every event loop of
//     a Client shares as eventloop.listeners) before the loops start: a new
//     listener with fd, addr, address and network set and closeOnce
//     already spent, so gnet never closes the server's fd. With the fd
//     then in a loop's epoll, gnet's eventloop.run finds it in the map and
//     accepts and registers connections itself (eventloop.accept).
//   - loops reads the Client's event loops: Client.eng, engine.eventLoops
//     (a *leastConnectionsLoadBalancer) and its eventLoops slice, and
//     checks that each loop's listeners map is the engine's.
//   - armListener / disarmListener add and remove a listening fd in a
//     loop's epoll instance, and pauseReading (backpressure.go) changes a
//     connection's registration to EPOLLOUT only. They read
//     eventloop.poller (*netpoll.Poller) and Poller.fd (int) and write the
//     epoll registrations in the form gnet's default poller keeps them:
//     the fd number in the epoll data.
//
// Under gnet's poll_opt build tag the epoll data holds a *PollAttachment
// instead, and an fd number written there crashes gnet: the engine refuses
// to build with that tag (gnetprivate_pollopt.go).
//
// Before the first use, checkGnet verifies that the gnet linked in is the
// pinned version and that every field above exists with the expected type
// (loops checks the load balancer's dynamic type when it reads it). When a
// check fails (or a test forces it), the server runs on gnet's public API
// alone and logs why once: connections are accepted in Go and enrolled
// (acceptgo.go, enroll.go), and a connection whose unsent echo passes
// fallbackMaxUnsent is closed instead of paused.

const (
	gnetModule = "github.com/panjf2000/gnet/v2"
	gnetPinned = "v2.9.7"
)

// gnetPrivate is the checked layout of gnet's private state: the field
// index paths this file uses. A nil *gnetPrivate is the fallback.
type gnetPrivate struct {
	loopType      reflect.Type // *gnet.eventloop, the dynamic type of gnet.EventLoop
	lnType        reflect.Type // gnet.listener
	clientEng     []int        // Client.eng
	engListeners  []int        // engine.listeners
	engLoops      []int        // engine.eventLoops
	loopListeners []int        // eventloop.listeners
	loopPoller    []int        // eventloop.poller
	pollerFD      []int        // netpoll.Poller.fd
	lnFD, lnAddr  []int        // listener.fd, listener.addr
	lnAddress     []int        // listener.address
	lnNetwork     []int        // listener.network
	lnCloseOnce   []int        // listener.closeOnce
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

// layoutField is one field gnetLayout checks: in the struct type found so
// far under key in, the field name must print as typ; its index path is
// stored in *dst and its type under its own key.
type layoutField struct {
	in, name, typ string
	dst           *[]int
}

// gnetLayout finds and type-checks the fields this file uses.
func gnetLayout() (*gnetPrivate, error) {
	p := &gnetPrivate{}
	var typeOnly []int // fields checked for their type alone
	fields := []layoutField{
		{"gnet.Engine", "eng", "*gnet.engine", &typeOnly},
		{"*gnet.engine", "ingress", "*gnet.eventloop", &typeOnly},
		{"*gnet.engine", "listeners", "map[int]*gnet.listener", &p.engListeners},
		{"*gnet.engine", "eventLoops", "gnet.loadBalancer", &p.engLoops},
		{"gnet.Client", "eng", "*gnet.engine", &p.clientEng},
		{"*gnet.eventloop", "listeners", "map[int]*gnet.listener", &p.loopListeners},
		{"*gnet.eventloop", "poller", "*netpoll.Poller", &p.loopPoller},
		{"*netpoll.Poller", "fd", "int", &p.pollerFD},
		{"map[int]*gnet.listener", "fd", "int", &p.lnFD},
		{"map[int]*gnet.listener", "addr", "net.Addr", &p.lnAddr},
		{"map[int]*gnet.listener", "address", "string", &p.lnAddress},
		{"map[int]*gnet.listener", "network", "string", &p.lnNetwork},
		{"map[int]*gnet.listener", "closeOnce", "sync.Once", &p.lnCloseOnce},
	}
	types := map[string]reflect.Type{
		"gnet.Engine": reflect.TypeFor[gnet.Engine](),
		"gnet.Client": reflect.TypeFor[gnet.Client](),
	}
	for _, lf := range fields {
		f, err := fieldOf(structOf(types[lf.in]), lf.name, lf.typ)
		if err != nil {
			return nil, err
		}
		*lf.dst = f.Index
		types[lf.typ] = f.Type
	}
	p.loopType = types["*gnet.eventloop"]
	p.lnType = structOf(types["map[int]*gnet.listener"])
	return p, nil
}

// structOf strips pointers, maps and slices down to the struct beneath.
func structOf(t reflect.Type) reflect.Type {
	for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Map || t.Kind() == reflect.Slice) {
		t = t.Elem()
	}
	return t
}

// fieldOf returns the field name of struct type t, checking that its type
// prints as want (the package name qualifies it; the version check pins the
// package).
func fieldOf(t reflect.Type, name, want string) (reflect.StructField, error) {
	if t == nil || t.Kind() != reflect.Struct {
		return reflect.StructField{}, fmt.Errorf("gnet %v is not a struct", t)
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

// writable is v (an addressable field, maybe unexported) as a value that
// can be set and read as an interface.
func writable(v reflect.Value) reflect.Value {
	return reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem()
}

// engineOf is the Client's engine struct (addressable).
func (p *gnetPrivate) engineOf(cli *gnet.Client) reflect.Value {
	return reflect.ValueOf(cli).Elem().FieldByIndex(p.clientEng).Elem()
}

// addListener adds the listening socket fd to cli's listener map; call it
// before cli.Start. network is "tcp" or "unix"; addr becomes the LocalAddr
// of every connection gnet accepts on it. gnet never closes fd.
func (p *gnetPrivate) addListener(cli *gnet.Client, fd int, network string, addr net.Addr) {
	ln := reflect.New(p.lnType)
	e := ln.Elem()
	writable(e.FieldByIndex(p.lnFD)).SetInt(int64(fd))
	writable(e.FieldByIndex(p.lnAddr)).Set(reflect.ValueOf(addr))
	writable(e.FieldByIndex(p.lnAddress)).SetString(addr.String())
	writable(e.FieldByIndex(p.lnNetwork)).SetString(network)
	once := (*sync.Once)(unsafe.Pointer(e.FieldByIndex(p.lnCloseOnce).UnsafeAddr()))
	once.Do(func() {}) // listener.close (Client.Stop) then does nothing
	writable(p.engineOf(cli).FieldByIndex(p.engListeners)).SetMapIndex(reflect.ValueOf(fd), ln)
}

// loopRef is one event loop of the Client and its epoll fd.
type loopRef struct {
	el   gnet.EventLoop
	epfd int
}

// loops returns cli's event loops; call it after cli.Start.
func (p *gnetPrivate) loops(cli *gnet.Client) ([]loopRef, error) {
	eng := p.engineOf(cli)
	lb := eng.FieldByIndex(p.engLoops)
	if lb.IsNil() || lb.Elem().Type().String() != "*gnet.leastConnectionsLoadBalancer" {
		return nil, fmt.Errorf("gnet engine.eventLoops is %v, want *gnet.leastConnectionsLoadBalancer", lb.Type())
	}
	f, err := fieldOf(lb.Elem().Type().Elem(), "eventLoops", "[]*gnet.eventloop")
	if err != nil {
		return nil, err
	}
	els := lb.Elem().Elem().FieldByIndex(f.Index)
	shared := eng.FieldByIndex(p.engListeners).Pointer()
	out := make([]loopRef, els.Len())
	for i := range out {
		elv := writable(els.Index(i))
		if elv.IsNil() || elv.Elem().FieldByIndex(p.loopListeners).Pointer() != shared {
			return nil, fmt.Errorf("gnet event loop %d does not share the engine's listener map", i)
		}
		out[i].el = elv.Interface().(gnet.EventLoop)
		if out[i].epfd = p.epollFD(out[i].el); out[i].epfd < 0 {
			return nil, fmt.Errorf("gnet event loop %d has no poller", i)
		}
	}
	return out, nil
}

// epollFD returns the epoll fd of event loop el, or -1. It is read anew
// each time (tens of nanoseconds): a cache keyed by loop could outlive a
// server and name another epoll instance.
func (p *gnetPrivate) epollFD(el gnet.EventLoop) int {
	v := reflect.ValueOf(el)
	if v.Type() != p.loopType || v.IsNil() {
		return -1
	}
	poller := v.Elem().FieldByIndex(p.loopPoller)
	if poller.IsNil() {
		return -1
	}
	return int(poller.Elem().FieldByIndex(p.pollerFD).Int())
}

// armListener puts listening fd into epoll instance epfd, level-triggered;
// exclusive (EPOLLEXCLUSIVE) wakes one waiting loop per connection instead
// of all. An fd already there is not an error.
func armListener(epfd, fd int, exclusive bool) error {
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}
	if exclusive {
		ev.Events |= unix.EPOLLEXCLUSIVE
	}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil && err != unix.EEXIST {
		return err
	}
	return nil
}

// disarmListener takes fd out of epoll instance epfd; an fd not there is
// not an error.
func disarmListener(epfd, fd int) error {
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_DEL, fd, nil); err != nil && err != unix.ENOENT {
		return err
	}
	return nil
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
