// Package confine takes away what a serving echo server never needs, once
// every socket is created or adopted: new sockets, connect, bind, listen,
// exec, ptrace, file reads beyond a few /proc files, every file write. It
// is for the case a systemd unit or podman does not cover (started by hand
// with --listen, under a bare systemd-socket-activate, a plain container),
// and a second wall where they do.
//
// Apply stacks these layers, on every thread of the process (the Go
// runtime starts threads at any time; a new thread inherits them all):
//
//   - no_new_privs: set on the calling thread, and from it on every
//     other by seccomp TSYNC, which copies the caller's bit to the others
//     in the kernel's seccomp_sync_threads (without seccomp, by a round of
//     prctl on every thread before Landlock).
//   - seccomp (SECCOMP_FILTER_FLAG_TSYNC): socket, socketpair, connect,
//     bind, listen, execve, execveat, ptrace, process_vm_readv,
//     process_vm_writev and io_uring_setup/enter/register (io_uring ops
//     are not seen by seccomp) return EPERM. A denied call is an error the
//     caller sees, never a kill: a blocked exploit must not become a
//     denial of service for every client. Calls of another ABI on the same
//     machine (int 0x80 on amd64, 32-bit ARM on arm64) return EPERM, x32
//     calls ENOSYS.
//   - Landlock (the kernel's highest ABI, at least 1), after seccomp, by
//     one landlock_restrict_self on every thread: files may be read
//     only at Config.ReadFiles and under Config.ReadDirs, nothing written,
//     truncated, executed or made (no socket, fifo or device node), files
//     removed only in Config.RemoveDirs (the server's own unix socket
//     files at exit); TCP bind and connect to any port denied (ABI 4);
//     signals scoped to the process (ABI 6). Landlock's TCP rules do not
//     see MPTCP (IPPROTO_MPTCP, 262), and UDP (ABI 10) and the unix
//     socket rights (the abstract scope of ABI 6, pathname resolution of
//     ABI 9) are left alone because echo replies to UDP and unixgram
//     clients need them: the seccomp layer is what closes new sockets of
//     every kind.
//
// # Deny-list, not allow-list
//
// The seccomp filter denies the calls that open a way out of the process
// and allows the rest. An allow-list would be tighter, but the set of
// system calls the Go runtime makes changes between Go releases and with
// the kernel it runs on (rseq, clone3, pidfd_*, membarrier, madvise
// flavours, the cgroup CPU-limit reads of 1.25), and a call missing from
// the list fails at run time on a path no test took: for the runtime, that
// is a crash (it throws when mmap or clone fails), which is the denial of
// service the filter must never cause. What the deny-list leaves open
// (reading and writing fds the process already has, memory, time, futex)
// gives no new reach; Landlock closes the file system. The cost: the
// program is 21 instructions (amd64) that read only the call number and the
// architecture, which the kernel (5.11+) turns into a per-call bitmap at
// load time, so an allowed call does not run the filter at all; an
// allow-list of the ~70 calls the server makes would be as cheap on such
// a kernel, so cost is not what decides here, the runtime's moving set of
// calls is.
//
// # What the server reads after start-up
//
// These are the files a confined server opens, which ServerReads gives as
// ReadFiles and ReadDirs:
//
//   - under /proc/PID (one directory rule): stat and limits (engine/metrics
//     process metrics, through engine/procstat), status (procstat RSS), fd
//     read as a directory (process_open_fds); readlink of /proc/self/fd/N
//     is not a Landlock access;
//   - /proc/stat (procstat boot time, for process_start_time_seconds);
//   - /proc/sys/fs/file-nr (engine/sysfiles.go, the file-table headroom
//     check of accept).
//
// Procfs makes a fresh inode on each lookup of a dentry it has dropped,
// and a Landlock rule sticks to an inode, so Apply keeps an O_PATH fd on
// each of these paths for the life of the process (three fds for
// ServerReads): the dentries stay, the next lookup finds the same inode,
// and the rule goes on matching. Anything else the standard library reads
// lazily must be read before Apply: the command loads time.Local
// (/etc/localtime) first.
package confine
