package activation

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// ListenFDsStart is the first inherited fd number (SD_LISTEN_FDS_START).
const ListenFDsStart = 3

// MaxListenFDs bounds LISTEN_FDS: a larger count is treated as malformed
// rather than trusted (systemd itself passes at most a few hundred).
const MaxListenFDs = 65536

// InheritedFD is one socket passed by the service manager.
type InheritedFD struct {
	FD   int
	Name string // from LISTEN_FDNAMES, or DefaultFDName when unnamed
}

// DefaultFDName is the stable name of an fd that LISTEN_FDNAMES leaves
// unnamed: "fd3", "fd4", ...
func DefaultFDName(fd int) string { return "fd" + strconv.Itoa(fd) }

// Parse interprets LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES as
// sd_listen_fds_with_names(3) does, over an injected getenv and pid so it can
// be table-tested and fuzzed. It returns ErrNotActivated when LISTEN_FDS and
// LISTEN_PID are both unset, and an *Error for every malformed value.
func Parse(getenv func(string) string, pid int) ([]InheritedFD, error) {
	pidStr, fdsStr, namesStr := getenv("LISTEN_PID"), getenv("LISTEN_FDS"), getenv("LISTEN_FDNAMES")
	if pidStr == "" && fdsStr == "" {
		return nil, ErrNotActivated
	}
	if err := checkListenPID(pidStr, pid); err != nil {
		return nil, err
	}
	n, err := parseListenFDs(fdsStr)
	if err != nil {
		return nil, err
	}
	names, err := splitNames(namesStr, n)
	if err != nil {
		return nil, err
	}
	fds := make([]InheritedFD, n)
	for i := range fds {
		fd := ListenFDsStart + i
		fds[i] = InheritedFD{FD: fd, Name: names[i]}
		if fds[i].Name == "" {
			fds[i].Name = DefaultFDName(fd)
		}
	}
	return fds, nil
}

func checkListenPID(s string, pid int) error {
	if s == "" {
		return activationErr("LISTEN_PID", s, "unset while LISTEN_FDS is set")
	}
	p, err := strconv.Atoi(s)
	if err != nil || p <= 0 {
		return activationErr("LISTEN_PID", s, "not a positive process id")
	}
	if p != pid {
		return activationErr("LISTEN_PID", s, fmt.Sprintf("names another process (this is %d): the sockets were meant for it", pid))
	}
	return nil
}

func parseListenFDs(s string) (int, error) {
	if s == "" {
		return 0, activationErr("LISTEN_FDS", s, "unset while LISTEN_PID is set")
	}
	n, err := strconv.Atoi(s)
	switch {
	case errors.Is(err, strconv.ErrRange):
		return 0, activationErr("LISTEN_FDS", s, "out of range")
	case err != nil:
		return 0, activationErr("LISTEN_FDS", s, "not a number")
	case n < 0:
		return 0, activationErr("LISTEN_FDS", s, "negative")
	case n > MaxListenFDs:
		return 0, activationErr("LISTEN_FDS", s, fmt.Sprintf("more than %d fds", MaxListenFDs))
	}
	return n, nil
}

// splitNames splits LISTEN_FDNAMES; unset means every fd is unnamed, but a
// set value must name exactly n fds (empty names are allowed).
func splitNames(s string, n int) ([]string, error) {
	if s == "" {
		return make([]string, n), nil
	}
	names := strings.Split(s, ":")
	if len(names) != n {
		return nil, activationErr("LISTEN_FDNAMES", s, fmt.Sprintf("has %d names for %d fds", len(names), n))
	}
	return names, nil
}

// ListenFDs reads the activation variables of this process, marks the
// inherited fds close-on-exec and unsets the variables, so that no child is
// confused by them. The fds stay open and owned by the caller.
func ListenFDs() ([]InheritedFD, error) {
	fds, err := Parse(os.Getenv, os.Getpid())
	for _, v := range []string{"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"} {
		_ = os.Unsetenv(v)
	}
	for _, f := range fds {
		// A closed fd number fails here with EBADF; Classify reports it later.
		_, _ = unix.FcntlInt(uintptr(f.FD), unix.F_SETFD, unix.FD_CLOEXEC)
	}
	return fds, err
}
