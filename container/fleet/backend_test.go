package fleet

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest"
)

// The ports every host serves: the echo (TCP and UDP) and the metrics and
// health endpoint that HAProxy checks.
const (
	echoPort   = 3000
	healthPort = 9000
)

// socketMode is how a host's server gets its sockets across restarts.
type socketMode int

const (
	// heldSockets: the test holds the listening sockets, as systemd holds
	// those of a .socket unit, and passes them to every new process.
	heldSockets socketMode = iota
	// ownSockets: each process creates its only copy (--listen), as under
	// systemd-socket-activate, in a container without a socket unit, or in
	// Kubernetes.
	ownSockets
)

// backend is the echo-server of one test host.
type backend struct {
	net    *fleetNet
	index  int
	mode   socketMode
	args   []string   // flags besides the sockets
	held   []*os.File // heldSockets: tcp, udp, metrics
	stray  bool       // keep a copy of each process's TCP listener until it exits
	copy   *os.File   // that copy
	cur    *proc
	starts []*proc // every process so far, for their logs
}

var heldNames = []string{"tcp", "udp", "metrics"}

// startBackend starts host i's server and returns it running.
func startBackend(t *testing.T, f *fleetNet, i int, mode socketMode, args []string, stray bool) *backend {
	t.Helper()
	b := &backend{net: f, index: i, mode: mode, args: args, stray: stray}
	if mode == heldSockets {
		b.held = holdSockets(t, f.hosts[i])
	}
	b.start(t)
	return b
}

func (b *backend) name() string { return fmt.Sprintf("echo%d", b.index+1) }

// start runs a new process and waits until it serves its three sockets.
func (b *backend) start(t *testing.T) {
	t.Helper()
	ns := b.net.hosts[b.index]
	var cmd *exec.Cmd
	if b.mode == heldSockets {
		act := echotest.Activation{Files: b.held, Names: heldNames, Prefix: b.net.enter(ns)}
		cmd = act.Command(serverBinary, b.args...)
	} else {
		listen := []string{"--listen", fmt.Sprintf("tcp://0.0.0.0:%d", echoPort), "--listen", fmt.Sprintf("udp://0.0.0.0:%d", echoPort),
			"--metrics-listen", fmt.Sprintf("tcp://0.0.0.0:%d", healthPort)}
		cmd = b.net.command(ns, serverBinary, append(listen, b.args...)...)
		cmd.Env = echotest.WithoutListenVars(os.Environ())
	}
	b.cur = start(t, fmt.Sprintf("%s start %d", b.name(), len(b.starts)+1), cmd)
	b.starts = append(b.starts, b.cur)
	b.cur.WaitLog(t, "msg=serving", 3)
	if b.stray {
		b.copy = takeListenerCopy(t, b.cur.Cmd.Process.Pid, echoPort)
	}
}

// restart stops the running process with SIGTERM, as systemd or the
// kubelet does, and starts the next one once it has exited.
func (b *backend) restart(t *testing.T) {
	t.Helper()
	b.stop(t)
	b.start(t)
}

// stop sends SIGTERM and waits for the exit.
func (b *backend) stop(t *testing.T) {
	t.Helper()
	b.signal()
	b.waitExit(t)
}

// signal sends SIGTERM, as systemd or the kubelet does.
func (b *backend) signal() { _ = b.cur.Cmd.Process.Signal(syscall.SIGTERM) }

// waitExit waits until the signalled server exits, which must be with 0
// within 20 s, and closes the test's copy of its listener, if any.
func (b *backend) waitExit(t *testing.T) {
	t.Helper()
	if code := b.cur.Wait(t, 20*time.Second); code != 0 {
		t.Errorf("%s exited %d after SIGTERM", b.cur.Name, code)
	}
	if b.copy != nil {
		_ = b.copy.Close() // the last copy: the kernel resets what it queued
		b.copy = nil
	}
}

// holdSockets creates host ns's listening sockets, as a socket unit would.
// The test closes them when it ends.
func holdSockets(t *testing.T, ns string) []*os.File {
	t.Helper()
	var files []*os.File
	err := inNetns(ns, func() error {
		for _, s := range []struct{ network, addr string }{
			{"tcp4", fmt.Sprintf("0.0.0.0:%d", echoPort)},
			{"udp4", fmt.Sprintf("0.0.0.0:%d", echoPort)},
			{"tcp4", fmt.Sprintf("0.0.0.0:%d", healthPort)},
		} {
			f, err := listenFile(s.network, s.addr)
			if err != nil {
				return err
			}
			files = append(files, f)
		}
		return nil
	})
	for _, f := range files {
		t.Cleanup(func() { _ = f.Close() })
	}
	if err != nil {
		t.Fatalf("sockets in %s: %v", ns, err)
	}
	return files
}

// listenFile returns a duplicate of a new listening or bound socket.
func listenFile(network, addr string) (*os.File, error) {
	if strings.HasPrefix(network, "udp") {
		pc, err := net.ListenPacket(network, addr)
		if err != nil {
			return nil, err
		}
		defer pc.Close()
		return pc.(*net.UDPConn).File()
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	return ln.(*net.TCPListener).File()
}
