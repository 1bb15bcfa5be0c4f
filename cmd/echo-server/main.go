// Command echo-server is a socket-activated echo server (RFC 862) on the gnet
// event-loop engine. It serves every socket systemd passes it (LISTEN_FDS),
// or the sockets named by --listen, and needs no network access of its own.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/echo-activation/echo-server/engine"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Exit codes: 0 after a clean shutdown, 1 when nothing can be served or the
// server fails, 2 for usage and activation-environment errors.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	cfg, code := parseFlags(args, stdout, stderr)
	if cfg == nil {
		return code
	}
	log := newLogger(stderr, cfg.debug)
	fds, err := socketsToServe(cfg)
	if err != nil {
		log.Error(err.Error())
		return exitUsage
	}
	sockets := engine.AdoptAll(fds, log)
	if len(sockets) == 0 {
		log.Error("nothing to serve: none of the given fds is a servable socket", "given", len(fds))
		return exitFailure
	}
	if cfg.startSleep > 0 {
		log.Info("sleeping before serving; the kernel queues connections meanwhile", "seconds", cfg.startSleep)
		time.Sleep(time.Duration(cfg.startSleep) * time.Second)
	}
	return serve(cfg, log, sockets)
}

func serve(cfg *config, log *slog.Logger, sockets []engine.Socket) int {
	// Signals are caught before the first connection can be accepted: a
	// SIGTERM that came before Notify would kill the process undrained.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGUSR1)
	defer signal.Stop(sigs)
	srv, err := engine.New(sockets, engine.WithLoops(cfg.loops), engine.WithLogger(log), engine.WithDebug(cfg.debug),
		engine.WithMaxConns(cfg.maxConns), engine.WithIdleTimeout(cfg.idle))
	if err == nil {
		err = srv.Start()
	}
	if err != nil {
		log.Error("cannot serve", "err", err)
		return exitFailure
	}
	for _, st := range srv.Stats() {
		log.Info("serving", "name", st.Name, "network", st.Network, "addr", st.Addr, "try", tryCommand(st))
	}
	n := newNotifier(cfg.sdnotify, log)
	n.ready(srv)
	stopped := waitForStop(srv, sigs, n, log)
	n.stopping(cfg.drain)
	ctx, cancel := context.WithTimeout(context.Background(), cfg.drain)
	defer cancel()
	var drainErr *engine.DrainError
	if err := srv.Shutdown(ctx); errors.As(err, &drainErr) {
		log.Warn("drain time over, closed the remaining connections", "open", drainErr.Open, "drain", cfg.drain)
	}
	logStats(log, srv, "final")
	log.Info("stopped", "reason", stopped)
	return exitOK
}

// waitForStop serves until SIGINT/SIGTERM, or until the last Accept=yes
// connection closes, logging counters on SIGUSR1.
func waitForStop(srv *engine.Server, sigs <-chan os.Signal, n *notifier, log *slog.Logger) string {
	for {
		select {
		case sig := <-sigs:
			if sig == syscall.SIGUSR1 {
				logStats(log, srv, "SIGUSR1")
				continue
			}
			return sig.String()
		case <-srv.Done():
			return "last connection closed"
		case <-n.tick():
			n.refresh(srv)
		}
	}
}

func logStats(log *slog.Logger, srv *engine.Server, why string) {
	for _, st := range srv.Stats() {
		log.Info("stats", "why", why, "name", st.Name, "accepted", st.Accepted, "open", st.Open,
			"rejected", st.Rejected, "idle_closed", st.IdleClosed, "bytes_in", st.BytesIn, "bytes_out", st.BytesOut,
			"datagrams_in", st.DatagramsIn, "datagrams_out", st.DatagramsOut,
			"dropped", st.Dropped, "errors", st.Errors)
	}
}

func newLogger(w io.Writer, debug bool) *slog.Logger {
	level := slog.LevelInfo
	if debug {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// socketsToServe returns the inherited fds, or the --listen sockets.
func socketsToServe(cfg *config) ([]engine.InheritedFD, error) {
	fds, err := engine.ListenFDs()
	switch {
	case err == nil && len(cfg.listen) > 0:
		return nil, errors.New("both socket activation (LISTEN_FDS) and --listen given: use one")
	case err == nil:
		return withMetricsSocket(fds, cfg.metrics)
	case !errors.Is(err, engine.ErrNotActivated):
		return nil, err
	case len(cfg.listen) == 0:
		return nil, errors.New("no sockets: start me with socket activation " +
			"(systemd .socket unit, or systemd-socket-activate -l 127.0.0.1:3000 echo-server) " +
			"or give --listen tcp://127.0.0.1:3000 (see --help)")
	}
	for _, u := range cfg.listen {
		fd, err := engine.Listen(u)
		if err != nil {
			return nil, err
		}
		fds = append(fds, fd)
	}
	return withMetricsSocket(fds, cfg.metrics)
}

// withMetricsSocket adds the --metrics-listen socket, named like an
// inherited metrics socket so that it takes the same path.
func withMetricsSocket(fds []engine.InheritedFD, url string) ([]engine.InheritedFD, error) {
	if url == "" {
		return fds, nil
	}
	fd, err := engine.Listen(url)
	if err != nil {
		return nil, err
	}
	fd.Name = engine.MetricsName
	return append(fds, fd), nil
}

// tryCommand is a socat line that exercises one socket.
func tryCommand(st engine.SocketStats) string {
	if st.Name == engine.MetricsName {
		if st.Network == "unix" {
			return "curl -s --unix-socket " + st.Addr + " http://metrics/metrics"
		}
		return "curl -s http://" + st.Addr + "/metrics"
	}
	switch st.Network {
	case "tcp4", "tcp6", "udp4", "udp6":
		return fmt.Sprintf("echo hello | socat -t2 - %s:%s", st.Network, st.Addr)
	case "unix":
		if len(st.Addr) > 0 && st.Addr[0] == '@' {
			return "echo hello | socat - abstract-connect:" + st.Addr[1:]
		}
		return "echo hello | socat - unix-connect:" + st.Addr
	case "unixgram":
		return fmt.Sprintf("echo hello | socat -t2 - unix-sendto:%s,bind=/tmp/echo-client-$$.sock", st.Addr)
	case "vsock":
		port := st.Addr[strings.LastIndexByte(st.Addr, ':')+1:]
		return "echo hello | socat - VSOCK-CONNECT:CID:" + port + "   (from a VM peer; CID: this host's)"
	}
	return ""
}
