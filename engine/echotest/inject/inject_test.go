//go:build linux && amd64

package inject

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// cwd is AT_FDCWD as a system call argument.
var cwd = func() uintptr { fd := unix.AT_FDCWD; return uintptr(fd) }()

// childEnv makes the test binary a Go child: it echoes stdin lines to
// stdout, from several threads' worth of runtime.
const childEnv = "INJECT_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			fmt.Println(sc.Text())
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// echoer is a running child that echoes lines: it still works after an
// injection if the thread it blocked in read came back to it.
type echoer struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

func startEchoer(t *testing.T, name string, args ...string) *echoer {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), childEnv+"=1")
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	e := &echoer{cmd: cmd, in: in, out: bufio.NewReader(out)}
	t.Cleanup(func() { in.Close(); cmd.Process.Kill(); cmd.Wait() })
	e.check(t, "before") // it is up and blocked in read
	time.Sleep(50 * time.Millisecond)
	return e
}

func (e *echoer) check(t *testing.T, line string) {
	t.Helper()
	fmt.Fprintln(e.in, line)
	done := make(chan string, 1)
	go func() { s, _ := e.out.ReadString('\n'); done <- s }()
	select {
	case got := <-done:
		if got != line+"\n" {
			t.Fatalf("echo %q, want %q", got, line)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("no echo of %q", line)
	}
}

func threads(t *testing.T, pid int) []int {
	dirs, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*", pid))
	var tids []int
	for _, d := range dirs {
		var tid int
		fmt.Sscan(filepath.Base(d), &tid)
		tids = append(tids, tid)
	}
	return tids
}

// TestSyscall injects getpid and socket into every thread of a C program
// blocked in read (cat), of one blocked in a restart_block sleep, and of a
// Go program; each goes on working afterwards.
func TestSyscall(t *testing.T) {
	for _, tc := range []struct {
		name string
		argv []string
	}{
		{name: "cat", argv: []string{"cat"}},
		{name: "go", argv: []string{os.Args[0], "-test.run=^$"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := startEchoer(t, tc.argv[0], tc.argv[1:]...)
			pid := e.cmd.Process.Pid
			for i, tid := range threads(t, pid) {
				got, errno, err := Syscall(pid, tid, unix.SYS_GETPID)
				if err != nil || errno != 0 || int(got) != pid {
					t.Fatalf("thread %d: getpid = %d, %v, %v; want %d", tid, got, errno, err, pid)
				}
				fd, errno, err := Syscall(pid, tid, unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_DGRAM, 0)
				if err != nil || errno != 0 {
					t.Fatalf("thread %d: socket: %v, %v", tid, errno, err)
				}
				link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%d", pid, fd))
				if err != nil || !strings.HasPrefix(link, "socket:") {
					t.Fatalf("fd %d of %d is %q, %v; want a socket", fd, pid, link, err)
				}
				e.check(t, fmt.Sprintf("after thread %d", i))
			}
		})
	}
}

func TestSyscallSleep(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	time.Sleep(100 * time.Millisecond)
	pid := cmd.Process.Pid
	got, errno, err := Syscall(pid, pid, unix.SYS_GETPID)
	if err != nil || errno != 0 || int(got) != pid {
		t.Fatalf("getpid = %d, %v, %v; want %d", got, errno, err, pid)
	}
	time.Sleep(100 * time.Millisecond)
	var ws unix.WaitStatus
	if p, _ := unix.Wait4(pid, &ws, unix.WNOHANG, nil); p != 0 {
		t.Fatalf("sleep ended after the injection: %v", ws)
	}
	if b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); !strings.Contains(string(b), ") S ") {
		t.Fatalf("sleep is not sleeping: %s", b)
	}
}

// TestMemory opens a file by a path written into the child's memory, and
// sees an errno come back as errno.
func TestMemory(t *testing.T) {
	e := startEchoer(t, "cat")
	pid := e.cmd.Process.Pid
	addr, err := Mmap(pid, pid, 4096)
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(pid, addr, []byte("/etc/hostname\x00")); err != nil {
		t.Fatal(err)
	}
	if b, err := Read(pid, addr, 5); err != nil || string(b) != "/etc/" {
		t.Fatalf("read back %q, %v", b, err)
	}
	fd, errno, err := Syscall(pid, pid, unix.SYS_OPENAT, cwd, addr, unix.O_RDONLY)
	if err != nil || errno != 0 {
		t.Fatalf("openat: %v, %v", errno, err)
	}
	if link, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%d", pid, fd)); link != "/etc/hostname" {
		t.Fatalf("fd %d is %q", fd, link)
	}
	if _, errno, _ := Syscall(pid, pid, unix.SYS_OPENAT, cwd, 8, unix.O_RDONLY); errno != unix.EFAULT {
		t.Fatalf("openat of an unmapped path: errno %v, want EFAULT", errno)
	}
	if err := Munmap(pid, pid, addr, 4096); err != nil {
		t.Fatal(err)
	}
	e.check(t, "after")
}
