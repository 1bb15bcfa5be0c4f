// Package inject makes a system call inside another, running process, the
// way a debugger does, so that a test can check from outside what a
// confined server may still do: Syscall seizes one thread with ptrace,
// points it at a syscall instruction with the call's registers, steps it
// once, reads the result and puts the thread back as it was. Mmap, Write
// and Read place and read the bytes a call points at (paths, sockaddrs).
//
// It is for tests on linux/amd64 only, and needs the right to ptrace the
// target (root, or the same user without Yama restrictions). Nothing else
// in the calling process may wait for the target meanwhile (os/exec's
// Cmd.Wait on a child, say): a wait of the tracer's process takes the
// ptrace stops Syscall waits for, even one for exits only.
package inject
