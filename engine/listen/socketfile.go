//go:build linux

package listen

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// SocketFile is a unix socket file that Endpoint.Listen created. The zero
// value (an abstract or non-unix socket) has nothing to remove.
type SocketFile struct {
	Path string
	id   fileID
}

// fileID tells one file from another at the same path: inode numbers are
// reused at once (ext4 gives a re-created socket file the same inode), so
// the change time is part of it.
type fileID struct {
	dev, ino uint64
	ctime    unix.Timespec
}

func statID(path string) (fileID, bool) {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		return fileID{}, false
	}
	return fileID{dev: st.Dev, ino: st.Ino, ctime: st.Ctim}, true
}

func newSocketFile(sa unix.Sockaddr) SocketFile {
	u, ok := sa.(*unix.SockaddrUnix)
	if !ok || strings.HasPrefix(u.Name, "@") {
		return SocketFile{}
	}
	id, ok := statID(u.Name)
	if !ok {
		return SocketFile{}
	}
	return SocketFile{Path: u.Name, id: id}
}

// Remove deletes the socket file if it is still the one Listen created (the
// same device, inode and change time), so that a file another process has
// since put at the path is left alone. A missing file is not an error.
func (f SocketFile) Remove() error {
	if f.Path == "" {
		return nil
	}
	if id, ok := statID(f.Path); !ok || id != f.id {
		return nil
	}
	return os.Remove(f.Path)
}

// ErrSocketInUse means a server answers on the unix socket path to listen on.
var ErrSocketInUse = errors.New("a server is listening there already; stop it or choose another path")

// clearSocketPath makes room to bind a unix socket at path: nothing there is
// fine; a stale socket file (a connect is refused: its server is gone) is
// removed; a socket where a server answers, or any other file, is an error
// (Listen names the URL, so the errors do not repeat the path).
func clearSocketPath(path string, typ int) error {
	if strings.HasPrefix(path, "@") {
		return nil // abstract: bind itself says EADDRINUSE
	}
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case fi.Mode()&os.ModeSocket == 0:
		return errors.New("a file that is not a socket is there; not replacing it")
	}
	live, err := socketAnswers(path, typ)
	switch {
	case err != nil:
		return fmt.Errorf("cannot tell whether a server listens there: %w", err)
	case live:
		return ErrSocketInUse
	}
	return os.Remove(path)
}

// socketAnswers connects to the socket file without blocking. A connection
// (or a full backlog, or a live socket of the other type) means a server is
// there; ECONNREFUSED means the file is stale.
func socketAnswers(path string, typ int) (bool, error) {
	fd, err := unix.Socket(unix.AF_UNIX, typ|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return false, os.NewSyscallError("socket", err)
	}
	defer unix.Close(fd)
	switch err := unix.Connect(fd, &unix.SockaddrUnix{Name: path}); err {
	case nil, unix.EAGAIN, unix.EPROTOTYPE:
		return true, nil
	case unix.ECONNREFUSED, unix.ENOENT:
		return false, nil
	default:
		return false, err
	}
}
