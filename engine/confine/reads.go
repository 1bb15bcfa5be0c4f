package confine

import (
	"fmt"
	"os"
)

// ServerReads is what the echo server reads after start-up (the package
// doc names the reader of each), as the ReadFiles and ReadDirs of a Config.
// Its own /proc/PID is one directory rule rather than a rule per file, so
// that one pinned fd covers stat, status, limits and fd (see pin); it
// reaches no other file: /proc/PID/root, cwd and fd/N resolve to the file
// itself, which Landlock checks where it is.
func ServerReads() Config {
	return Config{
		ReadFiles: []string{"/proc/stat", "/proc/sys/fs/file-nr"},
		ReadDirs:  []string{fmt.Sprintf("/proc/%d", os.Getpid())},
	}
}
