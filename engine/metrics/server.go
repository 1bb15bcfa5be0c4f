package metrics

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/echo-activation/echo-server/engine"
)

// SocketName is the LISTEN_FDNAMES name (FileDescriptorName=metrics) of an
// inherited stream socket that serves metrics and health instead of
// echoing, so the server needs no network socket of its own.
const SocketName = "metrics"

// Source is what the metrics are read from: *engine.Server is one.
type Source interface {
	Stats() []engine.SocketStats
}

// Options configure a Server. The zero value works.
type Options struct {
	// Version is the version label of echo_build_info.
	Version string
	// MaxConns is how many connections are served at once (default 16);
	// see connLimit for who gives way when all are taken.
	MaxConns int
	// Timeout bounds reading a request head, writing a response, and idling
	// between keep-alive requests (default 5 s).
	Timeout time.Duration
	// Logger receives errors; nil means slog.Default().
	Logger *slog.Logger
}

// Server answers /metrics, /livez and /readyz on any number of listeners.
type Server struct {
	src     Source
	health  *Health
	version string
	limit   *connLimit
	http    *http.Server
	log     *slog.Logger
	serving sync.WaitGroup

	confined atomic.Pointer[[]layerState] // SetConfined
}

// New prepares a server that reads src and health when asked. health may be
// shared with whoever sets readiness; nil means never ready.
func New(src Source, health *Health, opts Options) *Server {
	opts = withDefaults(opts)
	if health == nil {
		health = &Health{}
	}
	s := &Server{src: src, health: health, version: opts.Version, limit: newConnLimit(opts.MaxConns), log: opts.Logger}
	s.http = &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: opts.Timeout,
		ReadTimeout:       opts.Timeout,
		WriteTimeout:      opts.Timeout,
		IdleTimeout:       opts.Timeout,
		MaxHeaderBytes:    16 << 10,
		ConnState:         s.limit.track,
		ErrorLog:          slog.NewLogLogger(opts.Logger.Handler(), slog.LevelDebug),
	}
	return s
}

func withDefaults(o Options) Options {
	if o.MaxConns <= 0 {
		o.MaxConns = 16
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Serve answers requests on ln in a goroutine until Close; the server owns
// ln from now on and closes it.
func (s *Server) Serve(ln net.Listener) {
	s.serving.Add(1)
	go func() {
		defer s.serving.Done()
		err := s.http.Serve(limitedListener{Listener: ln, limit: s.limit})
		if !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("metrics socket not served", "addr", ln.Addr().String(), "err", err)
		}
	}()
}

// Close closes every listener and connection at once and waits until the
// Serve goroutines have returned. It is safe to call more than once.
func (s *Server) Close() error {
	err := s.http.Close()
	s.serving.Wait()
	return err
}

// Listener makes a listener of an adopted stream socket, and takes
// ownership of sock.FD whatever happens: the listener has its own
// duplicate (net.FileListener dups it) and sock.FD is closed here, on
// success and on every error, so the caller never closes it. Closing the
// listener closes the only copy left.
func Listener(sock engine.Socket) (net.Listener, error) {
	f := os.NewFile(uintptr(sock.FD), sock.Name)
	defer f.Close()
	if sock.Kind != engine.StreamListener {
		return nil, fmt.Errorf("metrics: socket %q (%s) is a %v, not a listening stream socket", sock.Name, sock.Addr, sock.Kind)
	}
	return net.FileListener(f)
}
