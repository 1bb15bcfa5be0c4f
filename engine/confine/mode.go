package confine

import (
	"fmt"
	"strings"
)

// Mode says how hard Apply tries.
type Mode int

const (
	// Auto applies every layer the kernel offers and reports the others
	// missing. It is the zero value.
	Auto Mode = iota
	// Required fails, before applying anything, when a layer is missing.
	Required
	// Off applies nothing (for debugging).
	Off
)

var modeNames = []string{Auto: "auto", Required: "required", Off: "off"}

// Modes are the names ParseMode takes, in order.
func Modes() []string { return append([]string(nil), modeNames...) }

// ParseMode reads "auto", "required" or "off".
func ParseMode(s string) (Mode, error) {
	for m, name := range modeNames {
		if s == name {
			return Mode(m), nil
		}
	}
	return Auto, fmt.Errorf("confine mode %q: want %s", s, strings.Join(modeNames, ", "))
}

func (m Mode) String() string {
	if m < 0 || int(m) >= len(modeNames) {
		return fmt.Sprintf("Mode(%d)", int(m))
	}
	return modeNames[m]
}
