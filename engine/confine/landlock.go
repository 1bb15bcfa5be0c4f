package confine

import (
	"fmt"

	"github.com/landlock-lsm/go-landlock/landlock"
	ll "github.com/landlock-lsm/go-landlock/landlock/syscall"
)

// The Landlock ABI each layer needs.
const (
	abiFS    = 1
	abiNet   = 4 // TCP bind and connect
	abiScope = 6 // signals
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

// applyLandlock restricts every thread (go-landlock: landlock_restrict_self
// through syscall.AllThreadsSyscall, or libpsx with cgo; TSYNC from ABI 8),
// and sets no_new_privs on every thread on the way.
func applyLandlock(abi int, cfg Config, r *Report) error {
	c, rules := ruleset(abi, cfg)
	if err := c.Restrict(rules...); err != nil {
		return fmt.Errorf("landlock: %w", err)
	}
	for _, layer := range []string{LandlockFS, LandlockNet, LandlockScope} {
		if _, missing := r.Missing[layer]; !missing {
			r.add(layer, nil)
		}
	}
	return nil
}
