package confine

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The child is this test binary run again with childEnv set to a mode. It
// makes its sockets, confines itself, starts threads, tries every call of
// attempts and prints the results; then it answers one connection on its
// pre-made listener and waits for stdin to close, so that the parent can
// read its /proc/PID/task/*/status meanwhile.
const childEnv = "CONFINE_TEST_CHILD"

// childArgs is what the parent passes in the environment.
type childArgs struct {
	Mode       string
	TCPAddr    string // a listener of the parent: nothing may reach it confined
	RemoveDir  string // a RemoveDirs entry, with a socket file the child makes
	OtherFile  string // a file outside RemoveDirs the child tries to remove
	CreateDir  string // where the child tries to create a file
	ThreadsNew int    // threads to start after Apply
	ThreadsOld int    // threads started before Apply, each of which tries a file read after it
	NoSeccomp  bool   // play a kernel without seccomp filters
}

// childReport is what the child prints as one JSON line.
type childReport struct {
	Listener string
	Report   string
	Results  map[string]string // attempt → "" or the errno name
}

// prepared are the sockets and processes made before Apply.
type prepared struct {
	listener   *net.TCPListener
	connectFD  int // a TCP socket, to connect after Apply
	bindFD     int // a TCP socket, to bind after Apply
	listenFD   int // a TCP socket bound to 127.0.0.1:0, to listen on after Apply
	sockFile   string
	traceePID  int
	tracee     *exec.Cmd
	parentAddr *unix.SockaddrInet4
	gramFD     int                // a unixgram socket, to send from after Apply
	gramTo     *unix.SockaddrUnix // an abstract unixgram socket made before Apply
	gramRecv   int
}

func runChild() {
	var a childArgs
	if err := json.Unmarshal([]byte(os.Getenv(childEnv)), &a); err != nil {
		fail(err)
	}
	p := prepare(a)
	mode, err := ParseMode(a.Mode)
	if err != nil {
		fail(err)
	}
	if a.NoSeccomp {
		seccompAvailable = func() error { return errors.New("played: no seccomp") }
	}
	old := startTryingThreads(a.ThreadsOld, func() error { return openClose("/etc/passwd", os.O_RDONLY) })
	rep, err := Apply(Config{Mode: mode, ReadFiles: ServerReads().ReadFiles, ReadDirs: ServerReads().ReadDirs,
		RemoveDirs: []string{a.RemoveDir}})
	if err != nil {
		fail(err)
	}
	startThreads(a.ThreadsNew)
	results := map[string]string{}
	for name, try := range attempts(a, p) {
		results[name] = errnoName(try())
	}
	results["open /etc/passwd on every thread of before"] = old()
	p.tracee.Process.Kill()
	out, _ := json.Marshal(childReport{Listener: p.listener.Addr().String(), Report: rep.String(), Results: results})
	fmt.Println(string(out))
	serveOne(p.listener)
	bufio.NewReader(os.Stdin).ReadString('\n') // until the parent closes stdin
	os.Exit(0)
}

func prepare(a childArgs) prepared {
	ln, err := net.ListenTCP("tcp4", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		fail(err)
	}
	p := prepared{listener: ln, connectFD: tcpSocket(), bindFD: tcpSocket(), listenFD: tcpSocket()}
	if err := unix.Bind(p.listenFD, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		fail(err)
	}
	ap, err := net.ResolveTCPAddr("tcp4", a.TCPAddr)
	if err != nil {
		fail(err)
	}
	p.parentAddr = &unix.SockaddrInet4{Port: ap.Port, Addr: [4]byte(ap.IP.To4())}
	p.sockFile = filepath.Join(a.RemoveDir, "s.sock")
	ul, err := net.ListenUnix("unix", &net.UnixAddr{Name: p.sockFile, Net: "unix"})
	if err != nil {
		fail(err)
	}
	ul.SetUnlinkOnClose(false)
	ul.Close()
	p.gramFD, p.gramRecv, p.gramTo = unixgramPair()
	p.tracee = exec.Command("sleep", "30")
	if err := p.tracee.Start(); err != nil {
		fail(err)
	}
	p.traceePID = p.tracee.Process.Pid
	return p
}

// unixgramPair is a sender and an abstract-bound receiver, as a unixgram
// server and its autobound client.
func unixgramPair() (from, recv int, to *unix.SockaddrUnix) {
	from, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err == nil {
		recv, err = unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	}
	to = &unix.SockaddrUnix{Name: fmt.Sprintf("@confine-test-%d", os.Getpid())}
	if err == nil {
		err = unix.Bind(recv, to)
	}
	if err != nil {
		fail(err)
	}
	return from, recv, to
}

func tcpSocket() int {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		fail(err)
	}
	return fd
}

// attempts are the calls the parent checks, each returning its error.
func attempts(a childArgs, p prepared) map[string]func() error {
	sock := func(domain, typ, proto int) func() error {
		return func() error {
			fd, err := unix.Socket(domain, typ|unix.SOCK_CLOEXEC, proto)
			if err == nil {
				unix.Close(fd)
			}
			return err
		}
	}
	return map[string]func() error{
		"socket tcp":           sock(unix.AF_INET, unix.SOCK_STREAM, 0),
		"socket mptcp":         sock(unix.AF_INET, unix.SOCK_STREAM, unix.IPPROTO_MPTCP),
		"socket udp":           sock(unix.AF_INET, unix.SOCK_DGRAM, 0),
		"socket unix":          sock(unix.AF_UNIX, unix.SOCK_STREAM, 0),
		"socketpair":           func() error { _, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0); return err },
		"connect pre-made":     func() error { return unix.Connect(p.connectFD, p.parentAddr) },
		"bind pre-made":        func() error { return unix.Bind(p.bindFD, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}) },
		"listen pre-made":      func() error { return unix.Listen(p.listenFD, 1) },
		"execve /bin/true":     forkExecTrue,
		"open /etc/passwd":     func() error { return openClose("/etc/passwd", os.O_RDONLY) },
		"create file":          func() error { return openClose(filepath.Join(a.CreateDir, "new"), os.O_CREATE|os.O_WRONLY) },
		"remove other file":    func() error { return os.Remove(a.OtherFile) },
		"ptrace seize":         func() error { return seize(p.traceePID) },
		"read /proc/self/stat": func() error { _, err := os.ReadFile("/proc/self/stat"); return err },
		"read /proc/PID/status": func() error {
			_, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", os.Getpid()))
			return err
		},
		"read /proc/stat":           func() error { _, err := os.ReadFile("/proc/stat"); return err },
		"read /proc/sys/fs/file-nr": func() error { _, err := os.ReadFile("/proc/sys/fs/file-nr"); return err },
		"list /proc/PID/fd":         func() error { _, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", os.Getpid())); return err },
		"send to abstract unixgram": func() error { return unix.Sendto(p.gramFD, []byte("x"), 0, p.gramTo) },
		"remove socket file":        func() error { return os.Remove(p.sockFile) },
	}
}

// forkExecTrue runs /bin/true with the child's own stdio: os/exec would
// open /dev/null first, which Landlock refuses before execve is reached.
func forkExecTrue() error {
	pid, err := syscall.ForkExec("/bin/true", []string{"true"}, &syscall.ProcAttr{Files: []uintptr{0, 2, 2}})
	if err != nil {
		return err
	}
	var ws syscall.WaitStatus
	_, err = syscall.Wait4(pid, &ws, 0, nil)
	return err
}

func openClose(path string, flag int) error {
	f, err := os.OpenFile(path, flag, 0o600)
	if err == nil {
		f.Close()
	}
	return err
}

// seize attaches to pid with PTRACE_SEIZE (the tracee does not stop); the
// tracer is the thread, so the goroutine keeps it until the kill detaches.
func seize(pid int) error {
	runtime.LockOSThread()
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SEIZE, uintptr(pid), 0, 0, 0, 0)
	if e != 0 {
		runtime.UnlockOSThread()
		return e
	}
	return nil // the thread stays locked: it is the tracer
}

// startThreads makes the runtime start n new OS threads, each blocked in
// a read of a pipe for the rest of the child's life.
func startThreads(n int) {
	for range n {
		r, w, err := os.Pipe()
		if err != nil {
			fail(err)
		}
		go func() {
			runtime.LockOSThread()
			var b [1]byte
			syscall.Read(int(r.Fd()), b[:]) // blocks: w is never written
			w.Close()
		}()
	}
	time.Sleep(100 * time.Millisecond) // the threads start and block
}

// startTryingThreads starts n OS threads that wait, each locked to its
// goroutine; the function it returns has each of them call try once and
// gives the errno name they all got, or "mixed: " and each name. The
// threads then block for the rest of the child's life.
func startTryingThreads(n int, try func() error) func() string {
	start, results := make(chan struct{}), make(chan string, n)
	for range n {
		go func() {
			runtime.LockOSThread() // never unlocked: the thread stays for the parent to read its status
			<-start
			results <- errnoName(try())
			select {}
		}()
	}
	time.Sleep(50 * time.Millisecond) // the threads start and block
	return func() string {
		close(start)
		seen := map[string]bool{}
		for range n {
			seen[<-results] = true
		}
		if len(seen) == 1 {
			for r := range seen {
				return r
			}
		}
		var names []string
		for r := range seen {
			names = append(names, orOK(r))
		}
		sort.Strings(names)
		return "mixed: " + strings.Join(names, ",")
	}
}

func serveOne(ln *net.TCPListener) {
	ln.SetDeadline(time.Now().Add(10 * time.Second))
	c, err := ln.Accept()
	if err != nil {
		fail(err)
	}
	defer c.Close()
	var b [2]byte
	if _, err := c.Read(b[:]); err == nil {
		c.Write(b[:])
	}
}

func errnoName(err error) string {
	var e syscall.Errno
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return unix.ErrnoName(e)
	}
	return err.Error()
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "child:", err)
	os.Exit(3)
}
