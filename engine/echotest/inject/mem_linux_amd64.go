package inject

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Write copies b into the memory of process pid at addr, through
// /proc/PID/mem (which writes even read-only pages, as a debugger does).
func Write(pid int, addr uintptr, b []byte) error {
	f, err := os.OpenFile(fmt.Sprintf("/proc/%d/mem", pid), os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.WriteAt(b, int64(addr))
	return err
}

// Read copies n bytes of the memory of process pid at addr.
func Read(pid int, addr uintptr, n int) ([]byte, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/mem", pid))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, n)
	_, err = f.ReadAt(b, int64(addr))
	return b, err
}

// Mmap maps size bytes of fresh read-write memory in process pid (with an
// mmap made by thread tid) and returns its address: a place for the bytes
// a call points at that no code of the process uses. Munmap frees it.
func Mmap(pid, tid, size int) (uintptr, error) {
	addr, errno, err := Syscall(pid, tid, unix.SYS_MMAP, 0, uintptr(size),
		unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, ^uintptr(0), 0)
	if err == nil && errno != 0 {
		err = fmt.Errorf("inject: mmap in %d: %w", pid, errno)
	}
	return addr, err
}

// Munmap unmaps what Mmap mapped.
func Munmap(pid, tid int, addr uintptr, size int) error {
	_, errno, err := Syscall(pid, tid, unix.SYS_MUNMAP, addr, uintptr(size))
	if err == nil && errno != 0 {
		err = fmt.Errorf("inject: munmap in %d: %w", pid, errno)
	}
	return err
}

// syscallInsn finds the address of a syscall instruction (0f 05) in pid:
// the one the thread was stopped in when it was in a system call, else
// the first in an executable mapping.
func syscallInsn(pid int, regs *unix.PtraceRegs) (uintptr, error) {
	if int64(regs.Orig_rax) >= 0 {
		if b, err := Read(pid, uintptr(regs.Rip-2), 2); err == nil && b[0] == 0x0f && b[1] == 0x05 {
			return uintptr(regs.Rip - 2), nil
		}
	}
	maps, err := os.ReadFile(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(maps))
	for sc.Scan() {
		if at, ok := scanMapping(pid, sc.Text()); ok {
			return at, nil
		}
	}
	return 0, fmt.Errorf("inject: no syscall instruction in the executable mappings of %d", pid)
}

// scanMapping looks for 0f 05 in one line of /proc/PID/maps, if it is an
// executable mapping other than [vsyscall] (which cannot be read).
func scanMapping(pid int, line string) (uintptr, bool) {
	f := strings.Fields(line)
	if len(f) < 2 || !strings.Contains(f[1], "x") || strings.HasSuffix(line, "[vsyscall]") {
		return 0, false
	}
	lo, hi, _ := strings.Cut(f[0], "-")
	start, err1 := strconv.ParseUint(lo, 16, 64)
	end, err2 := strconv.ParseUint(hi, 16, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	b, err := Read(pid, uintptr(start), int(min(end-start, 1<<20)))
	if i := bytes.Index(b, []byte{0x0f, 0x05}); err == nil && i >= 0 {
		return uintptr(start) + uintptr(i), true
	}
	return 0, false
}
