//go:build amd64 || arm64

package confine

import "golang.org/x/sys/unix"

// denied are the calls the program answers with EPERM, by their numbers
// on the architectures it is written for (seccomp_amd64.go, seccomp_arm64.go).
var denied = []deniedCall{
	{"socket", unix.SYS_SOCKET}, {"socketpair", unix.SYS_SOCKETPAIR}, {"connect", unix.SYS_CONNECT},
	{"bind", unix.SYS_BIND}, {"listen", unix.SYS_LISTEN},
	{"execve", unix.SYS_EXECVE}, {"execveat", unix.SYS_EXECVEAT},
	{"ptrace", unix.SYS_PTRACE}, {"process_vm_readv", unix.SYS_PROCESS_VM_READV}, {"process_vm_writev", unix.SYS_PROCESS_VM_WRITEV},
	{"io_uring_setup", unix.SYS_IO_URING_SETUP}, {"io_uring_enter", unix.SYS_IO_URING_ENTER}, {"io_uring_register", unix.SYS_IO_URING_REGISTER},
}
