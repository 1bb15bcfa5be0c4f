package confine

import (
	"fmt"
	"slices"
	"strings"
)

// The layers Apply knows, by the names Report and the metric use.
const (
	NoNewPrivs    = "no_new_privs"
	Seccomp       = "seccomp"
	LandlockFS    = "landlock-fs"
	LandlockNet   = "landlock-net"
	LandlockScope = "landlock-scope"
)

// Layers is every layer, in the order a Report names them.
var Layers = []string{NoNewPrivs, LandlockFS, LandlockNet, LandlockScope, Seccomp}

// Report says which layers are in force after Apply.
type Report struct {
	Mode        Mode
	InForce     []string          // layer names, in the order of Layers
	Missing     map[string]string // layer name → why it is missing
	LandlockABI int               // the kernel's Landlock ABI; 0 without Landlock
}

// Has reports whether layer is in force.
func (r Report) Has(layer string) bool { return slices.Contains(r.InForce, layer) }

// String is "no_new_privs landlock-fs(abi 7) landlock-net landlock-scope
// seccomp", "off", or the layers in force followed by "; missing: ...".
func (r Report) String() string {
	if r.Mode == Off {
		return "off"
	}
	var parts []string
	for _, l := range r.InForce {
		if l == LandlockFS {
			l = fmt.Sprintf("%s(abi %d)", l, r.LandlockABI)
		}
		parts = append(parts, l)
	}
	s := strings.Join(parts, " ")
	if s == "" {
		s = "none"
	}
	if m := r.missingList(); m != "" {
		s += "; missing: " + m
	}
	return s
}

// missingList is "landlock-net (kernel Landlock ABI 3, needs 4), ..." in
// the order of Layers.
func (r Report) missingList() string {
	var parts []string
	for _, l := range Layers {
		if why, ok := r.Missing[l]; ok {
			parts = append(parts, l+" ("+why+")")
		}
	}
	return strings.Join(parts, ", ")
}

func (r *Report) add(layer string, err error) {
	if err == nil {
		r.InForce = append(r.InForce, layer)
		return
	}
	if r.Missing == nil {
		r.Missing = map[string]string{}
	}
	r.Missing[layer] = err.Error()
}
