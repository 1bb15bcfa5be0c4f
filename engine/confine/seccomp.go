package confine

import (
	"fmt"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// deniedCall is a system call the filter answers with EPERM.
type deniedCall struct {
	name string
	nr   uint32 // on the build's architecture
}

// program is the deny-list: a call of another architecture (int 0x80 on
// amd64, 32-bit ARM on arm64) gets EPERM, an x32 call (amd64; nr with
// bit 30 set) ENOSYS, a denied call EPERM, anything else is allowed.
//
// It is built here rather than with go-seccomp-bpf's Policy.Assemble,
// which the package used at first: that library fills its tables of every
// architecture's system call names in a package init, 0.2 ms and 160 KB of
// every start (GODEBUG=inittrace=1; bench/results/startup-2026-12-04-vm-confine-order.md)
// for the 13 numbers this program needs, which x/sys/unix has as
// constants. The tests check each number against that library's table.
func program() ([]bpf.Instruction, error) {
	if err := programArch(); err != nil {
		return nil, err
	}
	eperm := uint32(unix.SECCOMP_RET_ERRNO) | uint32(unix.EPERM)
	enosys := uint32(unix.SECCOMP_RET_ERRNO) | uint32(unix.ENOSYS)
	prog := []bpf.Instruction{
		bpf.LoadAbsolute{Off: 4, Size: 4}, // seccomp_data.arch
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: auditArch, SkipTrue: 1},
		bpf.RetConstant{Val: eperm},
		bpf.LoadAbsolute{Off: 0, Size: 4}, // seccomp_data.nr
	}
	if x32Bit != 0 {
		prog = append(prog,
			bpf.JumpIf{Cond: bpf.JumpBitsSet, Val: x32Bit, SkipFalse: 1},
			bpf.RetConstant{Val: enosys})
	}
	for i, c := range denied {
		// past the calls after this one and the allow, to the EPERM
		prog = append(prog, bpf.JumpIf{Cond: bpf.JumpEqual, Val: c.nr, SkipTrue: uint8(len(denied) - i)})
	}
	return append(prog, bpf.RetConstant{Val: unix.SECCOMP_RET_ALLOW}, bpf.RetConstant{Val: eperm}), nil
}

// programArch says whether program is written for this build's
// architecture (seccomp_amd64.go, seccomp_arm64.go).
func programArch() error {
	if auditArch == 0 {
		return fmt.Errorf("no seccomp program for %s", runtime.GOARCH)
	}
	return nil
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
	if err := programArch(); err != nil {
		return err
	}
	action := uint32(unix.SECCOMP_RET_ERRNO)
	_, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_GET_ACTION_AVAIL, 0, uintptr(unsafe.Pointer(&action)))
	if e != 0 {
		return fmt.Errorf("seccomp filters unavailable: %w", e)
	}
	return nil
}

// loadSeccomp installs the filter on every thread. The calling thread must
// have no_new_privs (or CAP_SYS_ADMIN); TSYNC gives the others the filter
// and, from the caller, no_new_privs.
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
