package main

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/echo-activation/echo-server/engine/confine"
	"github.com/echo-activation/echo-server/engine/listen"
	"github.com/echo-activation/echo-server/engine/proxyproto"
	"github.com/echo-activation/echo-server/engine/sourcelimit"
	"github.com/echo-activation/echo-server/engine/udprules"
	"github.com/spf13/pflag"
)

// config is what the command line asks for.
type config struct {
	listen     []listen.Endpoint
	metrics    []listen.Endpoint // at most one
	loops      int
	debug      bool
	sdnotify   bool
	startSleep int
	drain      time.Duration
	delay      time.Duration // --shutdown-delay
	maxConns   int
	idle       time.Duration
	logFormat  string
	confine    string // engine/confine mode: auto, required or off

	// UDP abuse rules (udprules.Config; README "UDP abuse"); 0 turns a rule off.
	udpLoopLimit   int
	udpLoopWindow  time.Duration
	udpReplyBudget int
	udpReplyBurst  int

	// Per-source limits and the PROXY protocol (engine/sources.go; README
	// "Fair to every client").
	perSource          int // -1: a quarter of --max-conns, or of the fd limit
	connRate           int
	connBurst          int
	sourcePrefix4      int
	sourcePrefix6      int
	proxyFrom          []netip.Prefix
	proxyHeaderTimeout time.Duration

	help    bool
	version bool
	man     bool
}

// defaults is the config before any flag is given.
func defaults() *config {
	return &config{drain: 5 * time.Second, idle: 5 * time.Minute, logFormat: "auto", confine: "auto",
		udpLoopLimit: udprules.DefaultLoopLimit, udpLoopWindow: udprules.DefaultLoopWindow,
		udpReplyBudget: udprules.DefaultReplyBudget, udpReplyBurst: udprules.DefaultReplyBurst,
		perSource: -1, connRate: sourcelimit.DefaultRate, connBurst: sourcelimit.DefaultBurst,
		sourcePrefix4: 32, sourcePrefix6: 64, proxyHeaderTimeout: proxyproto.DefaultHeaderTimeout}
}

// udpGuard maps the flags to the engine's rules, where off is negative.
func (c *config) udpGuard() udprules.Config {
	off := func(n int) int {
		if n <= 0 {
			return -1
		}
		return n
	}
	return udprules.Config{LoopLimit: off(c.udpLoopLimit), LoopWindow: c.udpLoopWindow,
		ReplyBudget: off(c.udpReplyBudget), ReplyBurst: c.udpReplyBurst}
}

// flagSpec is one command-line flag. Its value parses and range-checks
// what is given; the help text, the man page and the README's table are
// all written from these specs, so a flag is added with one entry in flags.
type flagSpec struct {
	long, short string
	arg         string // the value's name in help ("N", "URL"); "" for a switch
	help        string // one sentence; the default is appended from the value
	value       pflag.Value
	hidden      bool
}

// flags is every flag, in the order --help lists them.
func flags(c *config) []flagSpec {
	return []flagSpec{
		{long: "listen", arg: "URL", value: listenURLs(&c.listen, anyEndpoint),
			help: "create and serve this socket instead of inherited ones (repeatable); URL forms below"},
		{long: "loops", arg: "N", value: intIn(&c.loops, 0, maxLoops(), fmt.Sprintf("%d per CPU", loopsPerCPU)),
			help: fmt.Sprintf("gnet event loops, and the readers of each UDP address: 0 for one per CPU, at most %d per CPU", loopsPerCPU)},
		{long: "debug", short: "d", value: switchOf(&c.debug),
			help: "log at debug level: every connection, read and write (and datagram batch) with its byte count and socket name"},
		{long: "sdnotify", short: "s", value: switchOf(&c.sdnotify),
			help: "warn when NOTIFY_SOCKET is unset; sd_notify (READY=1, STATUS=, WATCHDOG=1, STOPPING=1) is on whenever it is set"},
		{long: "start-sleep", short: "t", arg: "N", value: intIn(&c.startSleep, 0, 3600, ""),
			help: "sleep N seconds (0 to 3600) before serving; the kernel queues connections meanwhile"},
		{long: "drain-timeout", arg: "D", value: durationIn(&c.drain, 0, time.Hour),
			help: "on SIGTERM or SIGINT, how long open connections may go on echoing, at most 1h"},
		{long: "shutdown-delay", arg: "D", value: durationIn(&c.delay, 0, time.Hour),
			help: "on SIGTERM or SIGINT, answer /readyz with 503 and go on accepting for D before refusing new connections, so that a load balancer takes the host out first (HAProxy: inter x fall + timeout check), at most 1h"},
		{long: "max-conns", arg: "N", value: intIn(&c.maxConns, 0, maxConnsLimit, ""),
			help: fmt.Sprintf("most stream connections open at once, 0 for no cap but the fd limit (at most %d); more are closed at once and counted", maxConnsLimit)},
		{long: "idle-timeout", arg: "D", value: durationIn(&c.idle, minIdle, 0),
			help: fmt.Sprintf("close a stream connection silent for D (it goes between D and 1.25 D); 0 never, else at least %v", minIdle)},
		{long: "metrics-listen", arg: "URL", value: listenURLs(&c.metrics, metricsEndpoint),
			help: `serve Prometheus metrics over HTTP on this tcp:// or unix:// socket; with activation, pass a socket named "metrics" instead`},
		{long: "udp-loop-limit", arg: "N", value: intIn(&c.udpLoopLimit, 0, 1<<30, ""),
			help: "answer one UDP payload from one address and port at most N times per --udp-loop-window; more is an echo loop and is dropped (0: off)"},
		{long: "udp-loop-window", arg: "D", value: durationIn(&c.udpLoopWindow, 10*time.Millisecond, time.Minute),
			help: "the window of --udp-loop-limit, 10ms to 1m"},
		{long: "udp-reply-budget", arg: "N", value: intIn(&c.udpReplyBudget, 0, 1<<30, ""),
			help: "UDP replies per second to one non-loopback address, after a burst of --udp-reply-burst (0: no budget)"},
		{long: "udp-reply-burst", arg: "N", value: intIn(&c.udpReplyBurst, 1, 1<<30, ""),
			help: "the burst of --udp-reply-budget"},
		{long: "max-conns-per-source", arg: "N", value: autoInt(&c.perSource, 0, maxConnsLimit, "a quarter of --max-conns, or of the fd limit"),
			help: "most stream connections open at once from one source (an IPv4 /32, an IPv6 /64: see --source-prefix-v4/-v6), loopback included; more are closed at once, counted with reason=per_source and logged once per source per 5 s (0: off)"},
		{long: "conn-rate", arg: "N", value: intIn(&c.connRate, 0, 1<<30, ""),
			help: "new stream connections per second one non-loopback source may open after a burst of --conn-burst; faster ones are closed at once, reason=rate (0: off)"},
		{long: "conn-burst", arg: "N", value: intIn(&c.connBurst, 1, 1<<30, ""),
			help: "the burst of --conn-rate"},
		{long: "source-prefix-v4", arg: "N", value: intIn(&c.sourcePrefix4, 1, 32, ""),
			help: "the IPv4 prefix length that is one source for the per-source limits"},
		{long: "source-prefix-v6", arg: "N", value: intIn(&c.sourcePrefix6, 1, 64, ""),
			help: "the IPv6 prefix length that is one source for the per-source limits"},
		{long: "proxy-protocol", arg: "CIDR", value: prefixList{&c.proxyFrom},
			help: "trust PROXY protocol v1/v2 headers from this proxy address or prefix (repeatable): its TCP connections must start with one, and the client it names is the source for limits and logs; from any other address those bytes are echoed"},
		{long: "proxy-header-timeout", arg: "D", value: durationIn(&c.proxyHeaderTimeout, time.Millisecond, time.Minute),
			help: "how long a trusted proxy's connection may take to send its PROXY header before it is closed, reason=proxy_header, 1ms to 1m"},
		{long: "log-format", arg: "F", value: oneOf(&c.logFormat, logFormats...),
			help: "auto, text, json or journal; auto is journal when stderr is the journal (JOURNAL_STREAM), else text"},
		{long: "confine", arg: "M", value: oneOf(&c.confine, confine.Modes()...),
			help: "before serving, once its sockets exist, deny new sockets, connect, bind, listen, exec, ptrace and file access beyond what serving needs (seccomp, Landlock, no_new_privs); auto applies what the kernel has, required exits 1 if a layer is missing, off for debugging"},
		{long: "version", value: switchOf(&c.version), help: "print the version and exit"},
		{long: "help", short: "h", value: switchOf(&c.help), help: "print this help and exit"},
		{long: "man", value: switchOf(&c.man), hidden: true, help: "print the man page (troff) and exit"},
	}
}

// parseFlags returns the config, or nil and the exit code when the process
// should stop here: --help, --version and --man print to stdout and give 0;
// a bad flag or value is one line on stderr and 2.
func parseFlags(args []string, stdout, stderr io.Writer) (*config, int) {
	cfg := defaults()
	specs := flags(cfg)
	fs := flagSet(specs)
	err := singleDashLong(args, fs)
	if err == nil {
		err = fs.Parse(args)
	}
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err == nil && len(cfg.metrics) > 1 {
		err = errors.New("--metrics-listen given more than once")
	}
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "echo-server: %v (see --help)\n", err)
		return nil, exitUsage
	case cfg.help: // with the defaults, not the values given
		writeHelp(stdout, flags(defaults()))
	case cfg.man:
		writeMan(stdout, flags(defaults()))
	case cfg.version:
		fmt.Fprintln(stdout, "echo-server", buildVersion())
	default:
		return cfg, exitOK
	}
	return nil, exitOK
}

func flagSet(specs []flagSpec) *pflag.FlagSet {
	fs := pflag.NewFlagSet("echo-server", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.SortFlags = false
	for _, s := range specs {
		f := fs.VarPF(s.value, s.long, s.short, s.help)
		if s.arg == "" {
			f.NoOptDefVal = "true"
		}
		f.Hidden = s.hidden
	}
	return fs
}

// singleDashLong refuses a long flag given with one dash, Go's flag style
// (-debug), with the right spelling, where pflag would read it as the
// short flags -d -e -b ... and name a letter.
func singleDashLong(args []string, fs *pflag.FlagSet) error {
	for _, a := range args {
		if a == "--" {
			return nil
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(a, "-"), "=")
		if !strings.HasPrefix(a, "--") && len(name) > 1 && fs.Lookup(name) != nil {
			return fmt.Errorf("unknown flag %s: long flags take two dashes, --%s", a, name)
		}
	}
	return nil
}

// sourceLimits maps the flags to the engine's per-source limits; the
// default cap is a quarter of --max-conns, or of fdLimit without one.
func (c *config) sourceLimits(fdLimit int) sourcelimit.Config {
	per := c.perSource
	if per < 0 {
		per = sourcelimit.DefaultPerSource(c.maxConns, fdLimit)
	}
	return sourcelimit.Config{PerSource: per, Rate: float64(c.connRate), Burst: c.connBurst,
		IPv4Prefix: c.sourcePrefix4, IPv6Prefix: c.sourcePrefix6}
}
