package confine

import "golang.org/x/sys/unix"

// auditArch is seccomp_data.arch of this build's system calls; x32Bit marks
// the x32 ABI's numbers, which share it.
const (
	auditArch = unix.AUDIT_ARCH_X86_64
	x32Bit    = 0x40000000 // __X32_SYSCALL_BIT
)

var denied = []deniedCall{
	{"socket", unix.SYS_SOCKET}, {"socketpair", unix.SYS_SOCKETPAIR}, {"connect", unix.SYS_CONNECT},
	{"bind", unix.SYS_BIND}, {"listen", unix.SYS_LISTEN},
	{"execve", unix.SYS_EXECVE}, {"execveat", unix.SYS_EXECVEAT},
	{"ptrace", unix.SYS_PTRACE}, {"process_vm_readv", unix.SYS_PROCESS_VM_READV}, {"process_vm_writev", unix.SYS_PROCESS_VM_WRITEV},
	{"io_uring_setup", unix.SYS_IO_URING_SETUP}, {"io_uring_enter", unix.SYS_IO_URING_ENTER}, {"io_uring_register", unix.SYS_IO_URING_REGISTER},
}
