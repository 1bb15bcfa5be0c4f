// Command loadgen runs one bounded load-generator run against an echo
// server on this machine and prints its record as one JSON line on stdout,
// a summary and live progress on stderr. It exits 1 if any echoed byte
// differed from what was sent, or nothing was echoed.
//
//	loadgen -mode pingpong -net tcp -addr 127.0.0.1:PORT -conns 50 -len 64 -duration 2s -server-pid PID
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/echo-activation/echo-server/bench/internal/loadgen"
)

func main() {
	cfg, server, err := parseFlags()
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	res, err := loadgen.Run(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	res.Server = server
	if cfg.Progress != nil && cfg.ProgressCR {
		fmt.Fprintln(os.Stderr)
	}
	fmt.Fprintln(os.Stderr, res)
	line, _ := json.Marshal(res)
	fmt.Println(string(line))
	if err := res.Failed(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func parseFlags() (loadgen.Config, string, error) {
	var c loadgen.Config
	var mode, network, addr, server string
	var quiet bool
	flag.StringVar(&mode, "mode", "pingpong", "pingpong, flood, connrate or dgram (alias udp)")
	flag.StringVar(&network, "net", "tcp", "tcp, udp, unix or unixgram")
	flag.StringVar(&addr, "addr", "", "127.0.0.1:PORT, [::1]:PORT or a unix socket path")
	flag.IntVar(&c.Conns, "conns", 50, "connections, connrate workers or datagram sockets")
	flag.IntVar(&c.Len, "len", 64, "message length in bytes")
	flag.IntVar(&c.Window, "window", 64<<10, "flood: bytes in flight per connection")
	flag.DurationVar(&c.Pause, "pause", 0, "pingpong: wait after each echo before the next request (many mostly idle connections)")
	flag.DurationVar(&c.Duration, "duration", 2*time.Second, "measured duration")
	flag.DurationVar(&c.Warmup, "warmup", 300*time.Millisecond, "unmeasured warm-up")
	flag.DurationVar(&c.Timeout, "timeout", 200*time.Millisecond, "datagram reply timeout")
	flag.IntVar(&c.ServerPID, "server-pid", 0, "PID of the server, for its CPU time and peak RSS")
	flag.StringVar(&server, "server", "", "label of the server, copied into the record")
	flag.BoolVar(&quiet, "quiet", false, "no progress lines")
	flag.Parse()
	if mode == "udp" {
		mode = string(loadgen.Dgram)
	}
	c.Mode = loadgen.Mode(mode)
	t, err := loadgen.ParseTarget(network, addr)
	c.Target = t
	if !quiet {
		c.Progress = os.Stderr
		_, terr := unix.IoctlGetTermios(int(os.Stderr.Fd()), unix.TCGETS)
		c.ProgressCR = terr == nil
	}
	return c, server, err
}
