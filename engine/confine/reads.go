package confine

import (
	"fmt"
	"os"
)

// ServerReads is what the echo server reads after start-up (the package
// doc names the reader of each), as the ReadFiles and ReadDirs of a Config.
func ServerReads() Config {
	self := fmt.Sprintf("/proc/%d", os.Getpid())
	return Config{
		ReadFiles: []string{self + "/stat", self + "/status", self + "/limits", "/proc/stat", "/proc/sys/fs/file-nr"},
		ReadDirs:  []string{self + "/fd"},
	}
}
