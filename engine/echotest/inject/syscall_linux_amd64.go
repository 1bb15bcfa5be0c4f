package inject

import (
	"errors"
	"fmt"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// maxStops bounds the stops awaited for one step: signals that arrive
// meanwhile (the Go runtime's SIGURG) each cost one.
const maxStops = 50

// Syscall makes system call nr with args (at most six) in thread tid of
// process pid and returns its result: ret, or the errno it failed with.
// err is a failure of the injection itself. The thread goes on as before:
// a system call it was blocked in is restarted (or returns EINTR, as
// after any signal), and a signal that arrived meanwhile is passed on.
func Syscall(pid, tid int, nr uintptr, args ...uintptr) (ret uintptr, errno syscall.Errno, err error) {
	if len(args) > 6 {
		return 0, 0, errors.New("inject: more than six arguments")
	}
	runtime.LockOSThread() // ptrace requests must come from the tracer thread
	defer runtime.UnlockOSThread()
	saved, err := seize(tid)
	if err != nil {
		return 0, 0, err
	}
	sig := 0
	defer func() {
		if e := restore(tid, &saved, sig); err == nil {
			err = e
		}
	}()
	at, err := syscallInsn(pid, &saved)
	if err != nil {
		return 0, 0, err
	}
	regs := callRegs(saved, at, nr, args)
	if err = unix.PtraceSetRegs(tid, &regs); err != nil {
		return 0, 0, fmt.Errorf("inject: PTRACE_SETREGS: %w", err)
	}
	if sig, err = step(tid, at+2); err != nil {
		return 0, 0, err
	}
	if err = unix.PtraceGetRegs(tid, &regs); err != nil {
		return 0, 0, fmt.Errorf("inject: PTRACE_GETREGS: %w", err)
	}
	if r := int64(regs.Rax); r < 0 && r > -4096 {
		return 0, syscall.Errno(-r), nil
	}
	return uintptr(regs.Rax), 0, nil
}

// callRegs are the saved registers with the call's: orig_rax -1, so that
// the kernel's syscall-restart logic (which looks at orig_rax when the
// thread leaves the stop) leaves rip and rax alone.
func callRegs(saved unix.PtraceRegs, at, nr uintptr, args []uintptr) unix.PtraceRegs {
	var a [6]uintptr
	copy(a[:], args)
	r := saved
	r.Rax, r.Orig_rax, r.Rip = uint64(nr), ^uint64(0), uint64(at)
	r.Rdi, r.Rsi, r.Rdx, r.R10, r.R8, r.R9 = uint64(a[0]), uint64(a[1]), uint64(a[2]), uint64(a[3]), uint64(a[4]), uint64(a[5])
	return r
}

// seize attaches to tid without stopping it, then stops it with
// PTRACE_INTERRUPT, and returns its registers.
func seize(tid int) (unix.PtraceRegs, error) {
	var regs unix.PtraceRegs
	if err := unix.PtraceSeize(tid); err != nil {
		return regs, fmt.Errorf("inject: PTRACE_SEIZE %d: %w", tid, err)
	}
	if err := unix.PtraceInterrupt(tid); err != nil {
		detach(tid, 0)
		return regs, fmt.Errorf("inject: PTRACE_INTERRUPT %d: %w", tid, err)
	}
	if _, err := waitStop(tid); err != nil {
		detach(tid, 0)
		return regs, err
	}
	if err := unix.PtraceGetRegs(tid, &regs); err != nil {
		detach(tid, 0)
		return regs, fmt.Errorf("inject: PTRACE_GETREGS: %w", err)
	}
	return regs, nil
}

// step single-steps tid until its rip is want, suppressing the signals
// that stop it on the way; it returns the last of them, to pass on.
func step(tid int, want uintptr) (sig int, err error) {
	for range maxStops {
		if err := unix.PtraceSingleStep(tid); err != nil {
			return sig, fmt.Errorf("inject: PTRACE_SINGLESTEP: %w", err)
		}
		ws, err := waitStop(tid)
		if err != nil {
			return sig, err
		}
		var regs unix.PtraceRegs
		if err := unix.PtraceGetRegs(tid, &regs); err != nil {
			return sig, fmt.Errorf("inject: PTRACE_GETREGS: %w", err)
		}
		if uintptr(regs.Rip) == want {
			return sig, nil
		}
		if s := ws.StopSignal(); s != unix.SIGTRAP && ws.TrapCause() <= 0 {
			sig = int(s) // a signal-delivery stop before the step
		}
	}
	return sig, fmt.Errorf("inject: the thread did not step over the syscall in %d stops", maxStops)
}

// restore puts back the saved registers and detaches, passing sig on.
func restore(tid int, saved *unix.PtraceRegs, sig int) error {
	err := unix.PtraceSetRegs(tid, saved)
	if e := detach(tid, sig); err == nil {
		err = e
	}
	if err != nil {
		return fmt.Errorf("inject: restoring thread %d: %w", tid, err)
	}
	return nil
}

func detach(tid, sig int) error {
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_DETACH, uintptr(tid), 0, uintptr(sig), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// waitStop waits until tid is in a ptrace stop.
func waitStop(tid int) (unix.WaitStatus, error) {
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(tid, &ws, unix.WALL, nil)
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return ws, fmt.Errorf("inject: wait for thread %d: %w", tid, err)
		case !ws.Stopped():
			return ws, fmt.Errorf("inject: thread %d ended (%v)", tid, ws)
		}
		return ws, nil
	}
}
