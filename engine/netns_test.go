package engine

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// need fails the test under CI=true (where every prerequisite must be
// there) and skips it elsewhere, saying what is missing.
func need(t testing.TB, ok bool, what string) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (CI=true: a missing prerequisite is a failure)", what)
	}
	t.Skip(what)
}

// netns is a fresh network namespace held by one OS thread: sockets made
// by functions passed to do belong to it, so the tests can forge datagrams
// from any address and let replies go to it without a packet leaving the
// namespace. It has a loopback only, up, with the documentation addresses
// 192.0.2.1-2 and 2001:db8::1-2 on it besides 127.0.0.1 and ::1.
type netns struct{ calls chan func() }

// testNetAddrs are the non-loopback addresses of every test namespace.
var testNetAddrs = []string{"192.0.2.1/32", "192.0.2.2/32", "2001:db8::1/128", "2001:db8::2/128"}

func newNetns(t testing.TB) *netns {
	t.Helper()
	need(t, os.Geteuid() == 0, "needs root: a network namespace and raw sockets")
	ip, err := exec.LookPath("ip")
	need(t, err == nil, "ip not found: apt-get install iproute2 (.ci/run does)")
	ns := &netns{calls: make(chan func())}
	started := make(chan error)
	go ns.hold(started)
	if err := <-started; err != nil {
		t.Fatalf("unshare(CLONE_NEWNET): %v", err)
	}
	t.Cleanup(func() { close(ns.calls) })
	cmds := [][]string{{"link", "set", "lo", "up"}}
	for _, a := range testNetAddrs {
		add := []string{"addr", "add", a, "dev", "lo"}
		if strings.Contains(a, ":") {
			add = append(add, "nodad") // usable at once: a bind must never find it tentative
		}
		cmds = append(cmds, add)
	}
	for _, args := range cmds {
		if err := ns.do(func() error { return run(ip, args...) }); err != nil {
			t.Fatal(err)
		}
	}
	return ns
}

// hold moves its locked thread into a new network namespace and runs calls
// there. The thread is never unlocked: it exits with the goroutine, so no
// other goroutine ever runs in the namespace.
func (ns *netns) hold(started chan<- error) {
	runtime.LockOSThread()
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		started <- err
		return
	}
	started <- nil
	for f := range ns.calls {
		f()
	}
}

// do runs f on the namespace's thread (a command f starts is forked from
// that thread, so it runs in the namespace too).
func (ns *netns) do(f func() error) error {
	done := make(chan error)
	ns.calls <- func() { done <- f() }
	return <-done
}

func run(name string, args ...string) error {
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("%s %v: %v: %s", name, args, err, out)
	}
	return nil
}
