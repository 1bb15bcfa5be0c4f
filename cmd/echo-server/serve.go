package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"syscall"

	"github.com/echo-activation/echo-server/engine"
	"github.com/echo-activation/echo-server/engine/confine"
	"github.com/echo-activation/echo-server/engine/listen"
	"github.com/echo-activation/echo-server/engine/metrics"
	"github.com/echo-activation/echo-server/engine/udprules"
	"golang.org/x/sys/unix"
)

// serve runs the server until a signal (or, under Accept=yes, the last
// connection's close), drains, and returns the exit code.
func serve(cfg *config, log *slog.Logger, sockets []engine.Socket, files []listen.SocketFile, subscribed *signals) int {
	sigs := subscribed.C
	loops := cfg.loops
	if loops == 0 {
		loops = runtime.NumCPU()
	}
	sockets, metricsSockets := splitMetrics(sockets)
	life := lifecycle{log, lifecycleLevel(sockets)}
	limits := cfg.sourceLimits(int(engine.FDLimit()))
	health := &metrics.Health{}
	// Confined before the engine exists: confining stops every thread of
	// the process (Landlock has no all-threads call before ABI 8), so it
	// costs least before the event loops and UDP readers add theirs, and
	// nothing the engine and the metrics server do from here on (epoll,
	// eventfd, threads, accept, the fds already open) is a thing the
	// confinement takes away. The notify socket is connected first.
	n := newNotifier(cfg.sdnotify, log)
	confined, ok := confineServer(cfg, life, files)
	if !ok {
		return exitFailure
	}
	srv, err := engine.New(sockets, engine.WithLoops(loops), engine.WithLogger(log), engine.WithDebug(cfg.debug),
		engine.WithMaxConns(cfg.maxConns), engine.WithIdleTimeout(cfg.idle), engine.WithUDPGuard(cfg.udpGuard()),
		engine.WithSourceLimits(limits), engine.WithProxyProtocol(cfg.proxyFrom, cfg.proxyHeaderTimeout))
	var observed []engine.Socket // the metrics sockets served
	var ms *metrics.Server
	if err == nil {
		ms, observed = startMetrics(metricsSockets, srv, health, life)
		defer ms.Close()
		ms.SetConfined(confine.Layers, confined.InForce)
		err = srv.Start()
	}
	if err != nil {
		log.Error("cannot serve: " + err.Error())
		return exitFailure
	}
	subscribed.wait() // a SIGTERM after READY=1 drains
	health.SetReady(true)
	n.ready(srv) // READY=1 does not wait for the start-up lines to be written
	for _, st := range srv.Stats() {
		life.log("serving", "name", st.Name, "network", st.Network, "addr", st.Addr, "try", tryCommand(st))
	}
	life.log("echo-server started", "version", buildVersion(), "loops", loops, "sockets", socketList(srv.Stats(), observed),
		"max_conns_per_source", limits.PerSource, "conn_rate", limits.Rate, "proxy_protocol", cfg.proxyFrom,
		"confine", confined.String())
	sig := waitForStop(srv, n, life, sigs)
	health.SetReady(false) // first: /readyz says 503 before anything else stops
	if !holdOpen(cfg, life, srv, n, sigs, sig) {
		return exitFailure
	}
	return drain(cfg, life, srv, n, sigs, sig)
}

// lifecycle logs the lines of starting and stopping: at info level, but
// at debug level under Accept=yes, where each connection is a process.
type lifecycle struct {
	*slog.Logger
	level slog.Level
}

func (l lifecycle) log(msg string, args ...any) { l.Log(context.Background(), l.level, msg, args...) }

func lifecycleLevel(sockets []engine.Socket) slog.Level {
	for _, s := range sockets {
		if s.Kind != engine.StreamConn {
			return slog.LevelInfo
		}
	}
	return slog.LevelDebug
}

// socketList is "tcp4 127.0.0.1:3000 (echo), unix /run/echo/stream.sock (echo)".
func socketList(stats []engine.SocketStats, observed []engine.Socket) string {
	var parts []string
	for _, st := range stats {
		parts = append(parts, fmt.Sprintf("%s %s (%s)", st.Network, st.Addr, st.Name))
	}
	for _, s := range observed {
		parts = append(parts, fmt.Sprintf("%s %s (%s)", s.Network(), s.Addr, s.Name))
	}
	return strings.Join(parts, ", ")
}

// waitForStop serves until SIGINT/SIGTERM, or until the last Accept=yes
// connection closes, logging counters on SIGUSR1. It returns the signal,
// or nil.
func waitForStop(srv *engine.Server, n *notifier, life lifecycle, sigs <-chan os.Signal) os.Signal {
	for {
		select {
		case sig := <-sigs:
			if sig == syscall.SIGUSR1 {
				logStats(life.Logger, slog.LevelInfo, srv, "SIGUSR1")
				continue
			}
			return sig
		case <-srv.Done():
			return nil
		case <-n.tick():
			n.refresh(srv)
		}
	}
}

// drain stops the server, letting open connections finish for up to
// --drain-timeout; a second SIGINT/SIGTERM meanwhile ends the process at
// once with exit 1.
func drain(cfg *config, life lifecycle, srv *engine.Server, n *notifier, sigs <-chan os.Signal, sig os.Signal) int {
	reason := "last connection closed"
	if sig != nil {
		reason = signalName(sig)
		open := srv.Open()
		life.log(fmt.Sprintf("%s: draining %d connections, up to %v", reason, open, shortDuration(cfg.drain)),
			"signal", reason, "open", open, "drain", cfg.drain)
	}
	n.stopping(cfg.drain)
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), cfg.drain)
		defer cancel()
		done <- srv.Shutdown(ctx)
	}()
	err, ok := untilSecondSignal(life, srv, sigs, done)
	if !ok {
		return exitFailure
	}
	var drainErr *engine.DrainError
	if errors.As(err, &drainErr) {
		life.Warn("drain time over, closed the remaining connections", "open", drainErr.Open, "drain", cfg.drain)
	}
	logStats(life.Logger, life.level, srv, "final")
	life.log("stopped", "reason", reason)
	return exitOK
}

// untilSecondSignal waits for a value from ch while the server stops,
// logging the counters on SIGUSR1. It reports false, without a value, when
// a second SIGINT/SIGTERM came first: the process then exits at once.
func untilSecondSignal[T any](life lifecycle, srv *engine.Server, sigs <-chan os.Signal, ch <-chan T) (T, bool) {
	for {
		select {
		case v := <-ch:
			return v, true
		case s := <-sigs:
			if s == syscall.SIGUSR1 {
				logStats(life.Logger, slog.LevelInfo, srv, "SIGUSR1")
				continue
			}
			secondSignal(life, srv, s)
			var zero T
			return zero, false
		}
	}
}

// secondSignal logs a SIGINT/SIGTERM that came while stopping: the process
// exits at once with 1.
func secondSignal(life lifecycle, srv *engine.Server, s os.Signal) {
	name, open := signalName(s), srv.Open()
	life.Warn(fmt.Sprintf("second %s: exiting at once, cutting %d connections", name, open),
		"signal", name, "open", open)
	logStats(life.Logger, slog.LevelWarn, srv, "second "+name)
}

// signalName is "SIGTERM", not Go's "terminated".
func signalName(s os.Signal) string {
	if n, ok := s.(syscall.Signal); ok && unix.SignalName(n) != "" {
		return unix.SignalName(n)
	}
	return s.String()
}

func logStats(log *slog.Logger, level slog.Level, srv *engine.Server, why string) {
	for _, st := range srv.Stats() {
		args := []any{"why", why, "name", st.Name, "accepted", st.Accepted, "open", st.Open,
			"rejected", st.Rejected, "idle_closed", st.IdleClosed, "bytes_in", st.BytesIn, "bytes_out", st.BytesOut,
			"datagrams_in", st.DatagramsIn, "datagrams_out", st.DatagramsOut, "dropped", st.Dropped}
		if refused := refusedCounts(st); refused != "" {
			args = append(args, "refused", refused) // UDP sockets only
		}
		log.Log(context.Background(), level, "stats", append(args, "errors", st.Errors)...)
	}
}

// refusedCounts is "source_port=0 source_address=0 loop=3 reply_budget=0"
// for a UDP socket, "" otherwise.
func refusedCounts(st engine.SocketStats) string {
	if !strings.HasPrefix(st.Network, "udp") {
		return ""
	}
	var parts []string
	for _, r := range udprules.Reasons {
		parts = append(parts, fmt.Sprintf("%s=%d", r, st.Refused[r]))
	}
	return strings.Join(parts, " ")
}
