package confine

import "golang.org/x/sys/unix"

// auditArch is seccomp_data.arch of this build's system calls; x32Bit marks
// the x32 ABI's numbers, which share it.
const (
	auditArch = unix.AUDIT_ARCH_X86_64
	x32Bit    = 0x40000000 // __X32_SYSCALL_BIT
)
