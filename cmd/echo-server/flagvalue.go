package main

import (
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/echo-activation/echo-server/engine/listen"
)

// Limits of the flag values that are not fixed by the flag itself.
const (
	// loopsPerCPU bounds --loops: past one loop per core nothing is gained
	// (bench: a second loop on 2 cores gains nothing), and each loop is a
	// thread and an epoll instance.
	loopsPerCPU = 4
	// maxConnsLimit is the kernel's default fs.nr_open: no process can hold
	// more fds than that without raising it.
	maxConnsLimit = 1 << 20
	// minIdle is the shortest idle timeout: the idle timer ticks at a
	// quarter of it per connection.
	minIdle = 100 * time.Millisecond
)

func maxLoops() int { return loopsPerCPU * runtime.NumCPU() }

// The pflag.Value kinds of flags.go. Each Set checks its range, so a bad
// value is refused while parsing, naming the flag.

// intValue is an int within [min, max]; why explains max when it is not fixed.
type intValue struct {
	p        *int
	min, max int
	why      string
}

func intIn(p *int, min, max int, why string) *intValue { return &intValue{p, min, max, why} }

func (v *intValue) String() string { return strconv.Itoa(*v.p) }
func (v *intValue) Type() string   { return "int" }
func (v *intValue) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return errors.New("not a whole number")
	}
	if n < v.min || n > v.max {
		if v.why != "" {
			return fmt.Errorf("must be between %d and %d (%s)", v.min, v.max, v.why)
		}
		return fmt.Errorf("must be between %d and %d", v.min, v.max)
	}
	*v.p = n
	return nil
}

// durationValue is 0, or a duration within [min, max] (max 0: no bound).
type durationValue struct {
	p        *time.Duration
	min, max time.Duration
}

func durationIn(p *time.Duration, min, max time.Duration) *durationValue {
	return &durationValue{p, min, max}
}

func (v *durationValue) String() string { return shortDuration(*v.p) }
func (v *durationValue) Type() string   { return "duration" }
func (v *durationValue) Set(s string) error {
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return errors.New("not a duration: want e.g. 5s, 250ms, 2m30s")
	case d < 0:
		return errors.New("must not be negative")
	case d > 0 && d < v.min:
		return fmt.Errorf("must be 0 or at least %v", v.min)
	case v.max > 0 && d > v.max:
		return fmt.Errorf("must be at most %v", v.max)
	}
	*v.p = d
	return nil
}

// switchValue is a boolean flag: given alone it is true.
type switchValue struct{ p *bool }

func switchOf(p *bool) switchValue { return switchValue{p} }

func (v switchValue) String() string { return strconv.FormatBool(*v.p) }
func (v switchValue) Type() string   { return "bool" }
func (v switchValue) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("want true or false")
	}
	*v.p = b
	return nil
}

// choiceValue is one of a fixed set of words.
type choiceValue struct {
	p     *string
	words []string
}

func oneOf(p *string, words ...string) choiceValue { return choiceValue{p, words} }

func (v choiceValue) String() string { return *v.p }
func (v choiceValue) Type() string   { return "string" }
func (v choiceValue) Set(s string) error {
	if !slices.Contains(v.words, s) {
		return fmt.Errorf("want one of %s", strings.Join(v.words, ", "))
	}
	*v.p = s
	return nil
}

// listenValue collects --listen URLs, each parsed and checked by accept.
type listenValue struct {
	p      *[]listen.Endpoint
	accept func(listen.Endpoint) error
}

func listenURLs(p *[]listen.Endpoint, accept func(listen.Endpoint) error) listenValue {
	return listenValue{p, accept}
}

func (v listenValue) Type() string { return "URL" }
func (v listenValue) String() string {
	urls := make([]string, len(*v.p))
	for i, e := range *v.p {
		urls[i] = e.URL
	}
	return strings.Join(urls, ",")
}
func (v listenValue) Set(s string) error {
	e, err := listen.ParseURL(s)
	if err == nil {
		err = v.accept(e)
	}
	if err != nil {
		return err
	}
	*v.p = append(*v.p, e)
	return nil
}

func anyEndpoint(listen.Endpoint) error { return nil }

// metricsEndpoint accepts what an HTTP scrape can reach: a tcp or unix
// stream socket.
func metricsEndpoint(e listen.Endpoint) error {
	if !e.Stream() || e.Scheme == "vsock" {
		return errors.New("metrics are served over HTTP: want tcp://, tcp4://, tcp6:// or unix://")
	}
	return nil
}

// shortDuration is d without zero minutes and seconds: 5m, not 5m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// autoIntValue is an intValue whose unset value (-1) means "computed at
// start", described by auto in help.
type autoIntValue struct {
	intValue
	auto string
}

func autoInt(p *int, min, max int, auto string) *autoIntValue {
	return &autoIntValue{intValue{p, min, max, ""}, auto}
}

func (v *autoIntValue) String() string {
	if *v.p < 0 {
		return v.auto
	}
	return v.intValue.String()
}

// prefixList collects CIDR prefixes (repeatable); a bare address is its
// own /32 or /128.
type prefixList struct{ p *[]netip.Prefix }

func (v prefixList) Type() string { return "CIDR" }
func (v prefixList) String() string {
	s := make([]string, len(*v.p))
	for i, p := range *v.p {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}
func (v prefixList) Set(s string) error {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		a, aerr := netip.ParseAddr(s)
		if aerr != nil {
			return fmt.Errorf("%q is not an address or a CIDR prefix", s)
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	*v.p = append(*v.p, p.Masked())
	return nil
}
