package fleet

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// takeListenerCopy returns a duplicate of the TCP listening socket on port
// that process pid serves, taken with pidfd_getfd(2). While the test holds
// it the socket stays open whatever the server does with its own fd, so
// the kernel goes on completing handshakes that nobody accepts: the old
// shutdown (the listener left open through the drain, reset at exit), made
// by hand. The negative control uses it so that it can show losses
// whatever the server's shutdown does.
func takeListenerCopy(t *testing.T, pid, port int) *os.File {
	t.Helper()
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		t.Fatalf("pidfd_open %d: %v", pid, err)
	}
	defer unix.Close(pidfd)
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		target, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, e.Name()))
		n, err := strconv.Atoi(e.Name())
		if err != nil || !strings.HasPrefix(target, "socket:") {
			continue
		}
		fd, err := unix.PidfdGetfd(pidfd, n, 0)
		if err != nil {
			continue // closed meanwhile
		}
		if isTCPListener(fd, port) {
			return os.NewFile(uintptr(fd), "listener copy")
		}
		_ = unix.Close(fd)
	}
	t.Fatalf("process %d has no TCP listener on port %d", pid, port)
	return nil
}

func isTCPListener(fd, port int) bool {
	typ, err1 := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
	acc, err2 := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN)
	sa, err3 := unix.Getsockname(fd)
	in4, ok := sa.(*unix.SockaddrInet4)
	return err1 == nil && err2 == nil && err3 == nil && ok && typ == unix.SOCK_STREAM && acc == 1 && in4.Port == port
}
