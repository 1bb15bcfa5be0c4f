//go:build linux

package engine

import (
	"log/slog"
	"net/netip"
	"runtime"
	"time"

	"github.com/echo-activation/echo-server/engine/sourcelimit"
	"github.com/echo-activation/echo-server/engine/udprules"
)

// Options configure a Server. The zero value works: one event loop per CPU,
// slog.Default(), no per-I/O logging.
type Options struct {
	// Loops is the number of gnet event loops; 0 means one per CPU.
	Loops int
	// Logger receives lifecycle and error logs; per-I/O lines only with Debug.
	Logger *slog.Logger
	// Debug logs every read and write with its byte count and socket name.
	Debug bool
	// AcceptBackoffMax bounds the pause after an accept error such as EMFILE.
	AcceptBackoffMax time.Duration
	// MaxConns caps open stream connections; beyond it new ones are closed
	// at once and counted as rejected. 0: no cap but the fd limit.
	MaxConns int
	// IdleTimeout closes a stream connection that sent nothing for this
	// long (up to 1.25 times it). 0: never.
	IdleTimeout time.Duration

	// UDPGuard sets what UDP sockets refuse to answer; the zero value is
	// the defaults (see udprules.Config).
	UDPGuard udprules.Config

	// Sources sets the per-source limits (the zero value limits nothing;
	// package sourcelimit has the defaults the command uses).
	Sources sourcelimit.Config
	// ProxyFrom lists the trusted proxies: a TCP connection from one must
	// start with a PROXY protocol header (v1 or v2), whose client address
	// is then the connection's source. ProxyHeaderTimeout bounds the wait
	// for it (0: proxyproto.DefaultHeaderTimeout).
	ProxyFrom          []netip.Prefix
	ProxyHeaderTimeout time.Duration

	// noGnetPrivate forces the public-API fallback of gnetprivate.go
	// (tests only; there is no exported way to set it).
	noGnetPrivate bool
}

// Option sets one field of Options.
type Option func(*Options)

// WithLoops sets the number of event loops (0: one per CPU).
func WithLoops(n int) Option { return func(o *Options) { o.Loops = n } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(o *Options) { o.Logger = l } }

// WithDebug turns per-I/O logging on or off.
func WithDebug(on bool) Option { return func(o *Options) { o.Debug = on } }

// WithMaxConns caps open stream connections (0: no cap).
func WithMaxConns(n int) Option { return func(o *Options) { o.MaxConns = n } }

// WithIdleTimeout closes silent stream connections after d (0: never).
func WithIdleTimeout(d time.Duration) Option { return func(o *Options) { o.IdleTimeout = d } }

// WithUDPGuard sets the UDP abuse rules (the zero Config: defaults).
func WithUDPGuard(g udprules.Config) Option { return func(o *Options) { o.UDPGuard = g } }

// WithSourceLimits sets the per-source limits.
func WithSourceLimits(c sourcelimit.Config) Option { return func(o *Options) { o.Sources = c } }

// WithProxyProtocol trusts PROXY headers from these prefixes, waiting at
// most timeout for one (0: the default).
func WithProxyProtocol(from []netip.Prefix, timeout time.Duration) Option {
	return func(o *Options) { o.ProxyFrom, o.ProxyHeaderTimeout = from, timeout }
}

// withoutGnetPrivate forces the fallback of gnetprivate.go (tests).
func withoutGnetPrivate() Option { return func(o *Options) { o.noGnetPrivate = true } }

func loadOptions(opts []Option) Options {
	var o Options
	for _, opt := range opts {
		opt(&o)
	}
	if o.Loops <= 0 {
		o.Loops = runtime.NumCPU()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.AcceptBackoffMax <= 0 {
		o.AcceptBackoffMax = time.Second
	}
	return o
}
