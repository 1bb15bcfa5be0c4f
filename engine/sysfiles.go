//go:build linux

package engine

import (
	"errors"
	"math"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// sysFiles watches the system-wide file table: accept4 fails with ENFILE
// when it is full (fs.file-max; processes with CAP_SYS_ADMIN are exempt),
// and an ENFILE in gnet's accept would end an event loop (accept.go). It
// reads /proc/sys/fs/file-nr at most every sysFilesEvery, from whichever
// goroutine asks.
type sysFiles struct {
	next  atomic.Int64 // unix nanoseconds of the next read
	isLow atomic.Bool
}

const (
	sysFilesEvery    = 100 * time.Millisecond
	sysFilesHeadroom = 4096 // free entries below which the table counts as low
)

// low reports whether fewer than sysFilesHeadroom entries are free.
func (f *sysFiles) low() bool {
	now := time.Now().UnixNano()
	next := f.next.Load()
	if now < next || !f.next.CompareAndSwap(next, now+int64(sysFilesEvery)) {
		return f.isLow.Load()
	}
	f.isLow.Store(systemFilesFree() < sysFilesHeadroom)
	return f.isLow.Load()
}

// systemFilesFree is how many more files the system can open, from
// /proc/sys/fs/file-nr: 0 when even that file cannot be opened for want of
// an fd, unbounded when it cannot be read otherwise (no /proc).
func systemFilesFree() int64 {
	b, err := os.ReadFile("/proc/sys/fs/file-nr")
	if errors.Is(err, unix.ENFILE) || errors.Is(err, unix.EMFILE) {
		return 0
	}
	free, ok := parseFileNr(string(b))
	if err != nil || !ok {
		return math.MaxInt64
	}
	return free
}

// parseFileNr reads "allocated unused max" and returns max - allocated.
func parseFileNr(s string) (int64, bool) {
	f := strings.Fields(s)
	if len(f) != 3 {
		return 0, false
	}
	allocated, err1 := strconv.ParseInt(f[0], 10, 64)
	max, err2 := strconv.ParseInt(f[2], 10, 64)
	return max - allocated, err1 == nil && err2 == nil
}
