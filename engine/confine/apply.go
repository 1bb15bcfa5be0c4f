package confine

import (
	"cmp"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// Config is what the confined process may still touch.
type Config struct {
	Mode       Mode
	ReadFiles  []string // files it may open for reading
	ReadDirs   []string // directories it may list, and read files under
	RemoveDirs []string // directories it may remove files from (its unix socket files, at exit)
}

// ErrMissing is wrapped by the error of Apply in Required mode when the
// kernel lacks a layer.
var ErrMissing = errors.New("confinement layer missing")

// Apply confines every thread of the process for the rest of its life and
// reports the layers in force. In Auto mode a layer the kernel lacks is
// reported missing and the error is nil; in Required mode it is an error
// wrapping ErrMissing that names it, returned before anything is applied;
// in Off mode nothing is done. Apply is meant to be called once; the paths
// of cfg must exist when it is called to be of use (missing ones are
// skipped), and Apply keeps an O_PATH fd on each for the process's life
// (see the package doc).
func Apply(cfg Config) (Report, error) {
	r := Report{Mode: cfg.Mode}
	if cfg.Mode == Off {
		return r, nil
	}
	r.LandlockABI = landlockABI()
	r.Missing = landlockMissing(r.LandlockABI)
	if err := seccompAvailable(); err != nil {
		r.Missing[Seccomp] = err.Error()
	}
	if cfg.Mode == Required && len(r.Missing) > 0 {
		return r, fmt.Errorf("--confine required: %w: %s", ErrMissing, r.missingList())
	}
	pin(slices.Concat(cfg.ReadFiles, cfg.ReadDirs, cfg.RemoveDirs))

	runtime.LockOSThread() // prctl and seccomp act on the calling thread
	defer runtime.UnlockOSThread()
	if err := setNoNewPrivs(); err != nil {
		return r, err
	}
	if err := apply(cfg, &r); err != nil && cfg.Mode == Required {
		return r, err
	}
	order(&r)
	return r, nil
}

// apply applies seccomp, then Landlock, recording each as in force or
// missing, and no_new_privs as in force once either has put it on every
// thread. seccomp goes first because its TSYNC gives every thread the
// caller's no_new_privs in the same call, which Landlock needs on each
// thread it restricts; Landlock then stops every thread once, not twice.
func apply(cfg Config, r *Report) error {
	var first error
	allThreads := false
	if _, missing := r.Missing[Seccomp]; !missing {
		err := loadSeccomp()
		r.add(Seccomp, err)
		first = err
		allThreads = err == nil
	}
	if r.LandlockABI >= abiFS {
		err := applyLandlock(r.LandlockABI, cfg, allThreads)
		for _, l := range []string{LandlockFS, LandlockNet, LandlockScope} {
			if _, missing := r.Missing[l]; !missing || err != nil {
				r.add(l, err)
			}
		}
		first = cmp.Or(first, err)
		allThreads = allThreads || err == nil
	}
	if allThreads {
		r.add(NoNewPrivs, nil)
	} else {
		r.add(NoNewPrivs, errors.New("set on one thread only: neither Landlock nor seccomp could give it to the others"))
	}
	return first
}

// setNoNewPrivs sets no_new_privs on the calling thread, from which
// seccomp TSYNC (the kernel copies it in seccomp_sync_threads) gives it to
// the others, or, without seccomp, applyLandlock does. A round of its own
// on every thread would stop them all once more at start-up (measured in
// bench/results/2026-12-04-vm-confine-notes.md and
// bench/results/startup-2026-12-04-vm-confine-order.md), for a bit the next
// layer sets anyway.
func setNoNewPrivs() error {
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_NO_NEW_PRIVS): %w", err)
	}
	return nil
}

// order sorts InForce by Layers and drops from Missing what is in force.
func order(r *Report) {
	rank := func(l string) int { return slices.Index(Layers, l) }
	sort.SliceStable(r.InForce, func(i, j int) bool { return rank(r.InForce[i]) < rank(r.InForce[j]) })
	r.InForce = slices.Compact(r.InForce)
	for _, l := range r.InForce {
		delete(r.Missing, l)
	}
	if len(r.Missing) == 0 {
		r.Missing = nil
	}
}

// pinned holds an O_PATH fd on each path a rule names, for the life of
// the process: procfs drops unused dentries and makes a new inode at the
// next lookup, which a rule on the old inode would not match.
var pinned []int

func pin(paths []string) {
	for _, p := range paths {
		if !strings.HasPrefix(p, "/proc/") {
			continue // a disk or tmpfs inode stays while a rule holds it
		}
		if fd, err := unix.Open(p, unix.O_PATH|unix.O_CLOEXEC, 0); err == nil {
			pinned = append(pinned, fd)
		}
	}
}
