package confine

import (
	"fmt"
	"syscall"
	"unsafe"

	seccomp "github.com/elastic/go-seccomp-bpf"
	"github.com/elastic/go-seccomp-bpf/arch"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// denied are the system calls the filter answers with EPERM.
var denied = []string{
	"socket", "socketpair", "connect", "bind", "listen",
	"execve", "execveat",
	"ptrace", "process_vm_readv", "process_vm_writev",
	"io_uring_setup", "io_uring_enter", "io_uring_register",
}

// filter assembles the deny-list program. go-seccomp-bpf's Policy.Assemble
// jumps a call of another architecture (int 0x80 on amd64) to the default
// action, which in a deny-list is allow, so an arch check that returns
// EPERM goes in front; x32 numbers (nr & 0x40000000) are already answered
// ENOSYS by the library's own prologue.
func program() ([]bpf.Instruction, error) {
	info, err := arch.GetInfo("")
	if err != nil {
		return nil, err
	}
	policy := seccomp.Policy{DefaultAction: seccomp.ActionAllow,
		Syscalls: []seccomp.SyscallGroup{{Action: seccomp.ActionErrno, Names: denied}}}
	body, err := policy.Assemble()
	if err != nil {
		return nil, err
	}
	eperm := uint32(seccomp.ActionErrno) | uint32(unix.EPERM)
	return append([]bpf.Instruction{
		bpf.LoadAbsolute{Off: 4, Size: 4}, // seccomp_data.arch
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(info.ID), SkipTrue: 1},
		bpf.RetConstant{Val: eperm},
	}, body...), nil
}

// filter is the program in the form seccomp(2) loads.
func filter() ([]unix.SockFilter, error) {
	prog, err := program()
	if err != nil {
		return nil, err
	}
	raw, err := bpf.Assemble(prog)
	if err != nil {
		return nil, err
	}
	out := make([]unix.SockFilter, len(raw))
	for i, r := range raw {
		out[i] = unix.SockFilter{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	return out, nil
}

// seccompAvailable says whether the kernel can filter with an errno
// return (SECCOMP_GET_ACTION_AVAIL, Linux 4.14). A variable, so that a
// test can play a kernel without it.
var seccompAvailable = func() error {
	action := uint32(unix.SECCOMP_RET_ERRNO)
	_, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_GET_ACTION_AVAIL, 0, uintptr(unsafe.Pointer(&action)))
	if e != 0 {
		return fmt.Errorf("seccomp filters unavailable: %w", e)
	}
	return nil
}

// loadSeccomp installs the filter on every thread. The calling thread must
// have no_new_privs (or CAP_SYS_ADMIN); TSYNC gives the others the filter
// and, from the caller, no_new_privs. It is loaded here, not with the
// library's LoadFilter, because of the arch check in front.
func loadSeccomp() error {
	insns, err := filter()
	if err != nil {
		return fmt.Errorf("seccomp program: %w", err)
	}
	prog := unix.SockFprog{Len: uint16(len(insns)), Filter: &insns[0]}
	r, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER,
		unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&prog)))
	switch {
	case e != 0:
		return fmt.Errorf("seccomp(SET_MODE_FILTER, TSYNC): %w", e)
	case r != 0: // TSYNC: the id of a thread that could not be synchronized
		return fmt.Errorf("seccomp TSYNC: thread %d has an incompatible filter: %w", r, syscall.ESRCH)
	}
	return nil
}
