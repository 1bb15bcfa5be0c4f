package fleet

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

// The test network, in namespaces this test creates and deletes: hosts
// h1..hN and the balancer lb on a bridge (in a namespace sw of its own), and
// a client cl linked to lb alone and routed through it, as a client reaches
// a load balancer from outside. The addresses exist only in these namespaces.
const (
	backendNet = "10.213.0."    // .1 .. .N the hosts, .254 the balancer
	lbInside   = "10.213.0.254" // the balancer on the hosts' bridge
	clientAddr = "10.213.1.1"   // the client, on its own link to the balancer
	haproxyVIP = "10.213.1.254" // HAProxy's frontend address
	nftVIP     = "10.213.1.253" // the nftables balancer's address
)

// hostAddr is the address of host i (0-based).
func hostAddr(i int) string { return backendNet + strconv.Itoa(i+1) }

// fleetNet is one test network; every namespace name starts with prefix.
type fleetNet struct {
	prefix string
	hosts  []string
}

var netSeq atomic.Int64

// newFleetNet builds a network of n hosts, and deletes it when the test ends.
func newFleetNet(t *testing.T, n int) *fleetNet {
	t.Helper()
	f := &fleetNet{prefix: newPrefix(t)}
	for i := range n {
		f.hosts = append(f.hosts, f.ns(fmt.Sprintf("h%d", i+1)))
	}
	t.Cleanup(f.remove)
	runIP(t, f.setupCommands())
	f.sysctl(t, f.ns("lb"), "net.ipv4.ip_forward=1")
	// 10,000 connections per run end in TIME_WAIT at the client and the balancer.
	for _, ns := range []string{f.ns("lb"), f.ns("cl")} {
		f.sysctl(t, ns, "net.ipv4.ip_local_port_range=10000 65000", "net.ipv4.tcp_tw_reuse=1")
	}
	return f
}

// newPrefix is a namespace name prefix of this process's own, after
// deleting namespaces left behind by dead runs.
func newPrefix(t *testing.T) string {
	removeStaleNamespaces(t)
	return fmt.Sprintf("ef%d%c", os.Getpid(), 'a'+netSeq.Add(1)-1)
}

// runIP runs ip(8) with each argument list in turn.
func runIP(t *testing.T, cmds [][]string) {
	t.Helper()
	for _, cmd := range cmds {
		if out, err := exec.Command("ip", cmd...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(cmd, " "), err, out)
		}
	}
}

func (f *fleetNet) ns(role string) string { return f.prefix + "-" + role }

// setupCommands are the ip(8) commands that build the network. Links are
// created inside the namespaces, never in the test's own.
func (f *fleetNet) setupCommands() [][]string {
	sw, lb, cl := f.ns("sw"), f.ns("lb"), f.ns("cl")
	var c [][]string
	for _, ns := range append([]string{sw, lb, cl}, f.hosts...) {
		c = append(c, []string{"netns", "add", ns}, []string{"-n", ns, "link", "set", "lo", "up"})
	}
	c = append(c, []string{"-n", sw, "link", "add", "br0", "type", "bridge"}, []string{"-n", sw, "link", "set", "br0", "up"})
	port := func(ns, name, addr string) {
		c = append(c, []string{"-n", sw, "link", "add", name, "type", "veth", "peer", "name", "eth0", "netns", ns},
			[]string{"-n", sw, "link", "set", name, "master", "br0", "up"},
			[]string{"-n", ns, "link", "set", "eth0", "up"},
			[]string{"-n", ns, "addr", "add", addr + "/24", "dev", "eth0"})
	}
	port(lb, "lb", lbInside)
	for i, h := range f.hosts {
		port(h, fmt.Sprintf("h%d", i+1), hostAddr(i))
		c = append(c, []string{"-n", h, "route", "add", "default", "via", lbInside})
	}
	return append(c,
		[]string{"-n", cl, "link", "add", "eth0", "type", "veth", "peer", "name", "eth1", "netns", lb},
		[]string{"-n", cl, "link", "set", "eth0", "up"}, []string{"-n", lb, "link", "set", "eth1", "up"},
		[]string{"-n", cl, "addr", "add", clientAddr + "/24", "dev", "eth0"},
		[]string{"-n", lb, "addr", "add", haproxyVIP + "/24", "dev", "eth1"},
		[]string{"-n", lb, "addr", "add", nftVIP + "/24", "dev", "eth1"},
		[]string{"-n", cl, "route", "add", "default", "via", haproxyVIP})
}

// remove deletes the namespaces (their links go with them).
func (f *fleetNet) remove() {
	for _, ns := range append([]string{f.ns("cl"), f.ns("lb"), f.ns("sw")}, f.hosts...) {
		_ = exec.Command("ip", "netns", "del", ns).Run()
	}
}

func (f *fleetNet) sysctl(t *testing.T, ns string, settings ...string) {
	t.Helper()
	args := append([]string{"-q", "-w"}, settings...)
	if out, err := f.command(ns, "sysctl", args...).CombinedOutput(); err != nil {
		t.Fatalf("sysctl in %s: %v\n%s", ns, err, out)
	}
}

// command runs name in the network namespace ns. nsenter execs in place, so
// the pid is the command's own (LISTEN_PID stays right).
func (f *fleetNet) command(ns, name string, args ...string) *exec.Cmd {
	argv := append(append(f.enter(ns), name), args...)
	return exec.Command(argv[0], argv[1:]...)
}

// enter is the command prefix that execs the rest in network namespace ns
// (nsenter does not fork for a network namespace: the pid stays).
func (f *fleetNet) enter(ns string) []string {
	return []string{"nsenter", "--net=/run/netns/" + ns, "--"}
}

// inNetns runs fn on an OS thread that has joined the network namespace ns.
// Sockets fn creates belong to ns for their whole life, whichever thread or
// process uses them later. The thread is never unlocked, so it ends with the
// goroutine and nothing else ever runs in ns.
func inNetns(ns string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		h, err := os.Open("/run/netns/" + ns)
		if err != nil {
			errc <- err
			return
		}
		defer h.Close()
		if err := unix.Setns(int(h.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", ns, err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

var staleName = regexp.MustCompile(`^ef(\d+)[a-z]-`)

// removeStaleNamespaces deletes namespaces left by fleet test runs whose
// process is gone (a run killed before its cleanup). Live runs keep theirs.
func removeStaleNamespaces(t *testing.T) {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		t.Fatalf("ip netns list: %v", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		name, _, _ := strings.Cut(line, " ")
		m := staleName.FindStringSubmatch(name)
		if m == nil {
			continue
		}
		if _, err := os.Stat("/proc/" + m[1]); os.IsNotExist(err) {
			_ = exec.Command("ip", "netns", "del", name).Run()
		}
	}
}
