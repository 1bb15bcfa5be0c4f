package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/echo-activation/echo-server/engine"
)

type config struct {
	listen     []string
	loops      int
	debug      bool
	sdnotify   bool
	startSleep int
	drain      time.Duration
	maxConns   int
	idle       time.Duration
	metrics    string

	// UDP abuse rules (engine.UDPGuard; README "UDP abuse"); 0 turns a rule off.
	udpLoopLimit   int
	udpLoopWindow  time.Duration
	udpReplyBudget int
	udpReplyBurst  int
}

// udpGuard maps the flags to the engine's rules, where off is negative.
func (c *config) udpGuard() engine.UDPGuard {
	off := func(n int) int {
		if n <= 0 {
			return -1
		}
		return n
	}
	return engine.UDPGuard{LoopLimit: off(c.udpLoopLimit), LoopWindow: c.udpLoopWindow,
		ReplyBudget: off(c.udpReplyBudget), ReplyBurst: c.udpReplyBurst}
}

type listFlag struct{ values *[]string }

func (l listFlag) String() string {
	if l.values == nil {
		return ""
	}
	return strings.Join(*l.values, ",")
}
func (l listFlag) Set(v string) error { *l.values = append(*l.values, v); return nil }

const usageHead = `echo-server: a socket-activated echo server (RFC 862) on gnet.

Usage:
  systemd-socket-activate -l 127.0.0.1:3000 echo-server [flags]   (or a systemd .socket unit)
  echo-server --listen tcp://127.0.0.1:3000 [--listen ...] [flags]

--listen URLs: tcp:// tcp4:// tcp6:// udp:// udp4:// udp6:// (HOST:PORT, [V6]:PORT),
  unix:///path unix://@abstract unixgram:///path vsock://CID:PORT

Flags:
`

// parseFlags returns the config, or nil and the exit code when the process
// should stop here (--help, --version, a bad flag).
func parseFlags(args []string, stdout, stderr io.Writer) (*config, int) {
	cfg := &config{}
	fs := flag.NewFlagSet("echo-server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Var(listFlag{&cfg.listen}, "listen", "create and serve this socket (repeatable) instead of inherited ones")
	fs.IntVar(&cfg.loops, "loops", 0, "gnet event loops (0: one per CPU)")
	for _, n := range []string{"debug", "d"} {
		fs.BoolVar(&cfg.debug, n, false, "log every read and write with its byte count and socket name")
	}
	for _, n := range []string{"sdnotify", "s"} {
		fs.BoolVar(&cfg.sdnotify, n, false, "require sd_notify (READY=1, STATUS=, STOPPING=1); automatic when NOTIFY_SOCKET is set")
	}
	for _, n := range []string{"start-sleep", "t"} {
		fs.IntVar(&cfg.startSleep, n, 0, "sleep `seconds` before serving (the kernel queues connections meanwhile)")
	}
	fs.DurationVar(&cfg.drain, "drain-timeout", 5*time.Second, "on SIGTERM, how long open connections may go on echoing")
	fs.IntVar(&cfg.maxConns, "max-conns", 0, "most stream connections open at once; more are closed at once and counted (0: only the fd limit)")
	fs.StringVar(&cfg.metrics, "metrics-listen", "", "serve Prometheus metrics over HTTP on this `URL` (tcp://, unix://); with activation, name a socket \"metrics\" instead")
	fs.DurationVar(&cfg.idle, "idle-timeout", 5*time.Minute, "close stream connections silent this long (0: never)")
	fs.IntVar(&cfg.udpLoopLimit, "udp-loop-limit", engine.DefaultUDPLoopLimit, "answer one UDP payload from one address and port at most `N` times per --udp-loop-window; more is an echo loop (0: off)")
	fs.DurationVar(&cfg.udpLoopWindow, "udp-loop-window", engine.DefaultUDPLoopWindow, "the window of --udp-loop-limit")
	fs.IntVar(&cfg.udpReplyBudget, "udp-reply-budget", engine.DefaultUDPReplyBudget, "UDP replies per second to one non-loopback address, after a burst of --udp-reply-burst (0: no budget)")
	fs.IntVar(&cfg.udpReplyBurst, "udp-reply-burst", engine.DefaultUDPReplyBurst, "the burst of --udp-reply-budget")
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() { fmt.Fprint(stderr, usageHead); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return nil, exitOK
		}
		return nil, exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected arguments: %q (see --help)\n", fs.Args())
		return nil, exitUsage
	}
	if *showVersion {
		fmt.Fprintln(stdout, "echo-server", version)
		return nil, exitOK
	}
	return cfg, exitOK
}
