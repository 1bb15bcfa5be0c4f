package confine

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest"
	"golang.org/x/sys/unix"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		runChild()
	}
	os.Exit(m.Run())
}

// confined is what each attempt gives under Auto on a kernel with every
// layer; under Off every attempt succeeds (MPTCP where the kernel has it).
var confined = map[string]string{
	"socket tcp": "EPERM", "socket mptcp": "EPERM", "socket udp": "EPERM", "socket unix": "EPERM",
	"socketpair": "EPERM", "connect pre-made": "EPERM", "bind pre-made": "EPERM", "listen pre-made": "EPERM",
	"execve /bin/true": "EPERM", "ptrace seize": "EPERM",
	"open /etc/passwd": "EACCES", "create file": "EACCES", "remove other file": "EACCES",
	"read /proc/self/stat": "", "read /proc/PID/status": "", "read /proc/stat": "",
	"read /proc/sys/fs/file-nr": "", "list /proc/PID/fd": "", "remove socket file": "", "send to abstract unixgram": "",
	"open /etc/passwd on every thread of before": "EACCES",
}

// landlockOnly is what each attempt gives under Auto on a kernel without
// seccomp: Landlock refuses TCP connect and bind, exec, ptrace of a
// process outside its domain and the files; new sockets, socketpair and
// listen get through.
func landlockOnly(attempt string) string {
	switch attempt {
	case "connect pre-made", "bind pre-made", "execve /bin/true":
		return "EACCES"
	case "ptrace seize":
		return "EPERM"
	case "socket tcp", "socket mptcp", "socket udp", "socket unix", "socketpair", "listen pre-made":
		return unconfined(attempt)
	}
	return confined[attempt]
}

func TestApplyChild(t *testing.T) {
	needLayers(t)
	for _, tc := range []struct {
		mode             string
		noSeccomp        bool   // play a kernel without seccomp: Landlock sets no_new_privs on every thread itself
		seccomp, nnp     string // every thread's Seccomp: and NoNewPrivs:
		want             func(attempt string) string
		parentConnection bool // the pre-made socket's connect reached the parent
	}{
		{mode: "auto", seccomp: "2", nnp: "1", want: func(a string) string { return confined[a] }},
		{mode: "required", seccomp: "2", nnp: "1", want: func(a string) string { return confined[a] }},
		{mode: "auto", noSeccomp: true, seccomp: "0", nnp: "1", want: landlockOnly},
		{mode: "off", seccomp: "0", nnp: "0", want: unconfined, parentConnection: true},
	} {
		name := tc.mode
		if tc.noSeccomp {
			name += "/without-seccomp"
		}
		t.Run(name, func(t *testing.T) {
			ln, err := net.ListenTCP("tcp4", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			args := childArgsFor(t, tc.mode, ln.Addr().String())
			args.NoSeccomp = tc.noSeccomp
			rep, pid, finish := startChild(t, args)
			threads := taskStatus(t, pid)
			if len(threads) < args.ThreadsOld+args.ThreadsNew+1 {
				t.Errorf("%d threads, want at least %d", len(threads), args.ThreadsOld+args.ThreadsNew+1)
			}
			for tid, st := range threads {
				if st["Seccomp"] != tc.seccomp || st["NoNewPrivs"] != tc.nnp {
					t.Errorf("thread %s: Seccomp %q NoNewPrivs %q, want %s and %s", tid, st["Seccomp"], st["NoNewPrivs"], tc.seccomp, tc.nnp)
				}
			}
			finish()
			for name := range confined {
				if got, want := rep.Results[name], tc.want(name); got != want {
					t.Errorf("%s: got %q, want %q", name, orOK(got), orOK(want))
				}
			}
			if got := accepted(ln); got != tc.parentConnection {
				t.Errorf("a connection reached the parent's listener: %v, want %v", got, tc.parentConnection)
			}
			t.Logf("layers: %s", rep.Report)
		})
	}
}

func unconfined(attempt string) string {
	if attempt == "socket mptcp" && !mptcpAvailable() {
		return "EPROTONOSUPPORT"
	}
	return ""
}

func mptcpAvailable() bool {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, unix.IPPROTO_MPTCP)
	if err == nil {
		unix.Close(fd)
	}
	return err == nil
}

func orOK(s string) string {
	if s == "" {
		return "success"
	}
	return s
}

func childArgsFor(t *testing.T, mode, parentAddr string) childArgs {
	dir := t.TempDir()
	other := filepath.Join(dir, "other")
	if err := os.WriteFile(other, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	removeDir := filepath.Join(dir, "run")
	if err := os.Mkdir(removeDir, 0o700); err != nil {
		t.Fatal(err)
	}
	return childArgs{Mode: mode, TCPAddr: parentAddr, RemoveDir: removeDir, OtherFile: other, CreateDir: dir, ThreadsNew: 4, ThreadsOld: 6}
}

// startChild runs the child and reads its report; it has answered one echo
// on its pre-made listener (accept works confined). finish closes its stdin
// and waits for it.
func startChild(t *testing.T, a childArgs) (childReport, int, func()) {
	env, _ := json.Marshal(a)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(env))
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	finish := func() {
		stdin.Close()
		if err := cmd.Wait(); err != nil {
			t.Errorf("child: %v", err)
		}
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	var rep childReport
	if err == nil {
		err = json.Unmarshal([]byte(line), &rep)
	}
	if err != nil {
		finish()
		t.Fatalf("child report %q: %v", line, err)
	}
	if err := echoOnce(rep.Listener); err != nil {
		t.Errorf("accept on the pre-made listener: %v", err)
	}
	return rep, cmd.Process.Pid, finish
}

func echoOnce(addr string) error {
	c, err := net.DialTimeout("tcp4", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("hi")); err != nil {
		return err
	}
	var b [2]byte
	if _, err := c.Read(b[:]); err != nil || string(b[:]) != "hi" {
		return fmt.Errorf("echo %q: %v", b, err)
	}
	return nil
}

// accepted reports whether a connection is waiting on ln.
func accepted(ln *net.TCPListener) bool {
	ln.SetDeadline(time.Now().Add(50 * time.Millisecond))
	c, err := ln.Accept()
	if err == nil {
		c.Close()
	}
	return err == nil
}

// taskStatus is the status fields of every thread of pid, by thread id.
func taskStatus(t *testing.T, pid int) map[string]map[string]string {
	dirs, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no threads of %d: %v", pid, err)
	}
	out := map[string]map[string]string{}
	for _, p := range dirs {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		fields := map[string]string{}
		for _, line := range strings.Split(string(b), "\n") {
			k, v, _ := strings.Cut(line, ":")
			fields[k] = strings.TrimSpace(v)
		}
		out[filepath.Base(filepath.Dir(p))] = fields
	}
	return out
}

// needLayers skips (fails under CI) where the kernel lacks a layer.
func needLayers(t *testing.T) {
	if m := landlockMissing(landlockABI()); len(m) > 0 {
		echotest.Skip(t, "kernel without every Landlock layer: %v", m)
	}
}
