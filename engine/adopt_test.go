package engine

import (
	"io"
	"log/slog"
	"os"
	"testing"

	"github.com/echo-activation/echo-server/engine/activation"
	"golang.org/x/sys/unix"
)

// TestAdoptAllOwnsEveryFD: of the fds given, the servable ones come back
// as Sockets on new numbers and every other number is closed: a regular
// file, an unsupported socket type and the original numbers of the adopted
// ones alike.
func TestAdoptAllOwnsEveryFD(t *testing.T) {
	file, err := os.CreateTemp(t.TempDir(), "f")
	if err != nil {
		t.Fatal(err)
	}
	fileFD, _ := unix.Dup(int(file.Fd()))
	file.Close()
	raw, err := unix.Socket(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0) // neither listening nor connected
	if err != nil {
		t.Fatal(err)
	}
	udp, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(udp, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	given := []activation.InheritedFD{{FD: fileFD, Name: "file"}, {FD: raw, Name: "seqpacket"}, {FD: udp, Name: "udp"}}
	socks := AdoptAll(given, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if len(socks) != 1 || socks[0].Name != "udp" {
		t.Fatalf("adopted %+v, want the udp socket only", socks)
	}
	defer unix.Close(socks[0].FD)
	for _, f := range given {
		if f.FD == socks[0].FD {
			continue // the number was free again, and the dup took it
		}
		if _, err := unix.FcntlInt(uintptr(f.FD), unix.F_GETFD, 0); err != unix.EBADF {
			t.Errorf("%s: fd %d still open after AdoptAll", f.Name, f.FD)
		}
	}
	if _, err := unix.FcntlInt(uintptr(socks[0].FD), unix.F_GETFD, 0); err != nil {
		t.Errorf("the adopted fd %d is not open: %v", socks[0].FD, err)
	}
}
