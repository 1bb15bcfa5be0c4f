package main

import (
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

const probeUsage = `Usage: echo-server probe [--timeout D] [--size N] [--bind ADDR] URL

Checks one socket of a running echo server and exits 0 (healthy) or 1 (not),
printing one line that says why; for exec health checks (podman/Docker
HEALTHCHECK, Kubernetes exec probes) in an image with no shell.

  tcp://HOST:PORT tcp4:// tcp6://   unix:///path unix://@abstract
  udp://HOST:PORT udp4:// udp6://   unixgram:///path unixgram://@abstract
      send --size random bytes, expect them back byte for byte
  http://HOST:PORT/readyz           http+unix://%2Frun%2Fecho%2Fmetrics.sock/readyz
      GET the path (the socket path percent-encoded), expect status 200

Flags:
`

// probeConfig is a parsed probe command line.
type probeConfig struct {
	url     string
	timeout time.Duration
	size    int
	bind    string // unixgram: the client's address, which the server replies to
}

// probe runs the probe subcommand; it prints one line on every path but
// --help.
func probe(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseProbe(args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "FAIL probe: %v\n", oneLine(err.Error()))
		return exitFailure
	}
	start := time.Now()
	what, err := cfg.check()
	if err != nil {
		fmt.Fprintf(stderr, "FAIL %s: %s\n", cfg.url, oneLine(err.Error()))
		return exitFailure
	}
	fmt.Fprintf(stdout, "ok %s: %s in %v\n", cfg.url, what, time.Since(start).Round(time.Microsecond))
	return exitOK
}

// parseProbe reads the flags and the one URL, in any order.
func parseProbe(args []string, stdout io.Writer) (*probeConfig, error) {
	cfg := &probeConfig{}
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.DurationVar(&cfg.timeout, "timeout", 2*time.Second, "give up after `D`")
	fs.IntVar(&cfg.size, "size", 300, "random payload size in `bytes` for echo checks (1-65000)")
	fs.StringVar(&cfg.bind, "bind", "", "unixgram: the client `ADDR` the echo goes to (default: an abstract name, reachable in the server's network namespace)")
	urls, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(stdout)
		fmt.Fprint(stdout, probeUsage)
		fs.PrintDefaults()
	}
	if err != nil {
		return nil, err
	}
	if len(urls) != 1 {
		return nil, fmt.Errorf("want exactly one URL, got %d (see echo-server probe --help)", len(urls))
	}
	cfg.url = urls[0]
	return cfg, cfg.validate()
}

// parseInterspersed parses flags placed before and after the arguments,
// which it returns.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil || fs.NArg() == 0 {
			return rest, err
		}
		rest, args = append(rest, fs.Arg(0)), fs.Args()[1:]
	}
}

func (p *probeConfig) validate() error {
	switch {
	case p.size < 1 || p.size > 65000:
		return fmt.Errorf("--size %d: want 1 to 65000", p.size)
	case p.timeout <= 0:
		return fmt.Errorf("--timeout %v: want more than 0", p.timeout)
	}
	return nil
}

// check probes the URL and says what it saw.
func (p *probeConfig) check() (string, error) {
	scheme, addr, ok := strings.Cut(p.url, "://")
	if !ok || addr == "" {
		return "", fmt.Errorf("want SCHEME://ADDRESS, e.g. tcp://127.0.0.1:3000")
	}
	switch scheme {
	case "tcp", "tcp4", "tcp6", "unix":
		return p.checkEcho(scheme, addr, false)
	case "udp", "udp4", "udp6", "unixgram":
		return p.checkEcho(scheme, addr, true)
	case "http", "http+unix":
		return p.checkHTTP(scheme, addr)
	}
	return "", fmt.Errorf("unknown scheme %q (tcp, tcp4, tcp6, udp, udp4, udp6, unix, unixgram, http, http+unix)", scheme)
}

// payload is n random bytes.
func payload(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails on Linux
	return b
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
