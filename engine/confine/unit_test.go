package confine

import (
	"encoding/binary"
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/elastic/go-seccomp-bpf/arch"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

func TestParseMode(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Mode
		err  bool
	}{
		{in: "auto", want: Auto}, {in: "required", want: Required}, {in: "off", want: Off},
		{in: "", err: true}, {in: "Auto", err: true}, {in: "on", err: true},
	} {
		got, err := ParseMode(tc.in)
		if (err != nil) != tc.err || (!tc.err && got != tc.want) {
			t.Errorf("ParseMode(%q) = %v, %v", tc.in, got, err)
		}
		if !tc.err && got.String() != tc.in {
			t.Errorf("%v.String() = %q", got, got.String())
		}
	}
}

func TestReportString(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    Report
		want string
	}{
		{name: "off", r: Report{Mode: Off}, want: "off"},
		{name: "all", r: Report{InForce: Layers, LandlockABI: 7},
			want: "no_new_privs landlock-fs(abi 7) landlock-net landlock-scope seccomp"},
		{name: "old kernel", r: Report{InForce: []string{NoNewPrivs, LandlockFS, Seccomp}, LandlockABI: 3,
			Missing: landlockMissing(3)},
			want: "no_new_privs landlock-fs(abi 3) seccomp; missing: landlock-net (kernel Landlock ABI 3, needs 4), landlock-scope (kernel Landlock ABI 3, needs 6)"},
		{name: "nothing", r: Report{Missing: map[string]string{Seccomp: "x"}}, want: "none; missing: seccomp (x)"},
	} {
		if got := tc.r.String(); got != tc.want {
			t.Errorf("%s: got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

// TestRequiredMissing plays a kernel of Landlock ABI 3: Required fails
// naming the missing layers before applying anything, so it can run in
// the test process itself.
func TestRequiredMissing(t *testing.T) {
	defer func(f func() int) { landlockABI = f }(landlockABI)
	landlockABI = func() int { return 3 }
	_, err := Apply(Config{Mode: Required})
	if !errors.Is(err, ErrMissing) || !strings.Contains(err.Error(), "landlock-net") || !strings.Contains(err.Error(), "landlock-scope") {
		t.Fatalf("err %v, want ErrMissing naming landlock-net and landlock-scope", err)
	}
	b, _ := os.ReadFile("/proc/thread-self/status")
	if !strings.Contains(string(b), "Seccomp:\t0") || !strings.Contains(string(b), "NoNewPrivs:\t0") {
		t.Fatal("Required applied something before failing")
	}
}

// TestDeniedNumbers holds each denied call's number (x/sys/unix) against
// go-seccomp-bpf's table of the native architecture, which the program was
// first assembled from.
func TestDeniedNumbers(t *testing.T) {
	native, err := arch.GetInfo("")
	if err != nil {
		t.Fatal(err)
	}
	if uint32(native.ID) != auditArch {
		t.Errorf("auditArch %#x, go-seccomp-bpf says %#x", auditArch, uint32(native.ID))
	}
	if len(denied) != 13 {
		t.Errorf("%d denied calls, want the 13 of the package doc", len(denied))
	}
	for _, c := range denied {
		if nr, ok := native.SyscallNames[c.name]; !ok || uint32(nr) != c.nr {
			t.Errorf("%s: number %d, go-seccomp-bpf says %d (known: %v)", c.name, c.nr, nr, ok)
		}
	}
}

// TestFilter runs the seccomp program in x/net/bpf's VM over seccomp_data
// records: denied calls EPERM, others allowed, other ABIs refused.
func TestFilter(t *testing.T) {
	prog, err := program()
	if err != nil {
		t.Fatal(err)
	}
	vm, err := bpf.NewVM(prog)
	if err != nil {
		t.Fatal(err)
	}
	native, _ := arch.GetInfo("")
	eperm := int(unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM))
	allow := int(unix.SECCOMP_RET_ALLOW)
	enosys := int(unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS))
	type record struct {
		name string
		arch uint32
		nr   uint32
		want int
	}
	var every []record // each denied call, by go-seccomp-bpf's number
	for _, c := range denied {
		every = append(every, record{name: c.name, arch: uint32(native.ID), nr: uint32(native.SyscallNames[c.name]), want: eperm})
	}
	for _, tc := range append(every, []record{
		{name: "socket", arch: uint32(native.ID), nr: uint32(native.SyscallNames["socket"]), want: eperm},
		{name: "execve", arch: uint32(native.ID), nr: uint32(native.SyscallNames["execve"]), want: eperm},
		{name: "io_uring_setup", arch: uint32(native.ID), nr: uint32(native.SyscallNames["io_uring_setup"]), want: eperm},
		{name: "read", arch: uint32(native.ID), nr: uint32(native.SyscallNames["read"]), want: allow},
		{name: "accept4", arch: uint32(native.ID), nr: uint32(native.SyscallNames["accept4"]), want: allow},
		{name: "other arch, read", arch: 0x40000003 /* AUDIT_ARCH_I386 */, nr: 3, want: eperm},
		{name: "other arch, socketcall", arch: 0x40000003, nr: 102, want: eperm},
		{name: "x32 socket", arch: uint32(native.ID), nr: 0x40000000 | 41, want: enosys},
		{name: "x32 read", arch: uint32(native.ID), nr: 0x40000000 | 0, want: enosys},
		{name: "close", arch: uint32(native.ID), nr: uint32(native.SyscallNames["close"]), want: allow},
		{name: "epoll_wait", arch: uint32(native.ID), nr: uint32(native.SyscallNames["epoll_wait"]), want: allow},
	}...) {
		if tc.want == enosys && runtime.GOARCH != "amd64" {
			continue // x32 is an amd64 ABI
		}
		// struct seccomp_data; the VM loads words in network order
		// where the kernel loads them in native order
		data := make([]byte, 64)
		binary.BigEndian.PutUint32(data[0:], tc.nr)
		binary.BigEndian.PutUint32(data[4:], tc.arch)
		got, err := vm.Run(data)
		if err != nil || got != tc.want {
			t.Errorf("%s: got %#x, %v; want %#x", tc.name, got, err, tc.want)
		}
	}
}
