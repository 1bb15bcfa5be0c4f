package confine

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/landlock-lsm/go-landlock/landlock"
	ll "github.com/landlock-lsm/go-landlock/landlock/syscall"
)

// The Landlock ABI each layer needs.
const (
	abiFS    = 1
	abiNet   = 4 // TCP bind and connect
	abiScope = 6 // signals
	abiTSync = 8 // one landlock_restrict_self restricts every thread
)

// landlockABI is the kernel's Landlock ABI, 0 without Landlock. ABI 6 and
// later count as 5 until the signal-scoping erratum (bit 1) is fixed, as
// go-landlock counts them. A variable, so that a test can play an older
// kernel.
var landlockABI = func() int {
	v, err := ll.LandlockGetABIVersion()
	if err != nil || v < 0 {
		return 0
	}
	if errata, err := ll.LandlockGetErrata(); v >= abiScope && (err != nil || errata&2 == 0) {
		v = abiScope - 1
	}
	return v
}

// landlockMissing names the Landlock layers the kernel cannot give.
func landlockMissing(abi int) map[string]string {
	missing := map[string]string{}
	for _, l := range []struct {
		layer string
		abi   int
	}{{LandlockFS, abiFS}, {LandlockNet, abiNet}, {LandlockScope, abiScope}} {
		if abi < l.abi {
			missing[l.layer] = fmt.Sprintf("kernel Landlock ABI %d, needs %d", abi, l.abi)
		}
	}
	return missing
}

// ruleset is what the server may still do with files, TCP and signals.
// Three rights are left unhandled because echo needs them: UDP send (ABI
// 10: UDP echo replies to any port), and the two that govern sending to
// unix datagram clients: resolving a pathname unix socket (ABI 9, the
// reply to a unixgram client bound to a path) and the abstract unix socket
// scope (ABI 6, the reply to one bound to an abstract name, which every
// autobound client is). New unix sockets and connects to any are denied
// by seccomp; the scope is signals only.
func ruleset(abi int, cfg Config) (landlock.Config, []landlock.Rule) {
	c := landlock.Config{
		HandledAccessFS:  landlock.V11.HandledAccessFS &^ landlock.AccessFSSet(ll.AccessFSResolveUnix),
		HandledAccessNet: landlock.AccessNetSet(ll.AccessNetBindTCP | ll.AccessNetConnectTCP),
		Scoped:           landlock.ScopedSet(ll.ScopeSignal),
	}.BestEffort() // trimmed to abi: Required has checked the layers it needs
	readFile := landlock.AccessFSSet(ll.AccessFSReadFile)
	readDir := landlock.AccessFSSet(ll.AccessFSReadFile | ll.AccessFSReadDir)
	remove := landlock.AccessFSSet(ll.AccessFSRemoveFile)
	rules := []landlock.Rule{
		landlock.PathAccess(readFile, cfg.ReadFiles...).IgnoreIfMissing(),
		landlock.PathAccess(readDir, cfg.ReadDirs...).IgnoreIfMissing(),
		landlock.PathAccess(remove, cfg.RemoveDirs...).IgnoreIfMissing(),
	}
	return c, rules
}

// applyLandlock restricts every thread. From ABI 8 that is one call
// (LANDLOCK_RESTRICT_SELF_TSYNC, which go-landlock's Restrict makes).
// Before it, it is one landlock_restrict_self on each thread
// (go-landlock's all-threads call: syscall.AllThreadsSyscall, or libpsx
// with cgo), which stops every thread of the process once and needs
// no_new_privs on each: nnpEverywhere says seccomp TSYNC has already set
// it on every thread; otherwise it is set on every thread first, in a
// round of its own. (Before ABI 8, go-landlock's Restrict always makes
// that second round, which is why the ruleset is then made with
// NewRulesetFD and enforced here.)
func applyLandlock(abi int, cfg Config, nnpEverywhere bool) error {
	c, rules := ruleset(abi, cfg)
	if abi >= abiTSync {
		if err := c.Restrict(rules...); err != nil {
			return fmt.Errorf("landlock: %w", err)
		}
		return nil
	}
	fd, flags, err := c.NewRulesetFD(rules...)
	if err != nil {
		return fmt.Errorf("landlock: %w", err)
	}
	if fd < 0 {
		return nil // nothing this kernel can restrict: landlockMissing has named it
	}
	defer unix.Close(fd)
	if !nnpEverywhere {
		if err := ll.AllThreadsPrctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("landlock: prctl(PR_SET_NO_NEW_PRIVS) on every thread: %w", err)
		}
	}
	if err := ll.AllThreadsLandlockRestrictSelf(fd, flags); err != nil {
		return fmt.Errorf("landlock_restrict_self on every thread: %w", err)
	}
	return nil
}
