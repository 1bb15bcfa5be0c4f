package confine

import "golang.org/x/sys/unix"

// auditArch is seccomp_data.arch of this build's system calls; x32Bit is
// for amd64's x32 ABI, which arm64 has no counterpart of.
const (
	auditArch = unix.AUDIT_ARCH_AARCH64
	x32Bit    = 0
)
