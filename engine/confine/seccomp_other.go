//go:build !amd64 && !arm64

package confine

// No seccomp program is written for this architecture: Apply reports the
// seccomp layer missing (and --confine required refuses to start).
const (
	auditArch = 0
	x32Bit    = 0
)

var denied []deniedCall
