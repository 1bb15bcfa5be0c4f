// Command echo-server is a socket-activated echo server (RFC 862) on the gnet
// event-loop engine. It serves every socket systemd passes it (LISTEN_FDS),
// or the sockets named by --listen, and needs no network access of its own.
package main

import (
	"io"
	"os"
	"time"

	"github.com/echo-activation/echo-server/engine"
)

// Exit codes: 0 after a clean shutdown, 1 when nothing can be served or the
// server fails at run time, 2 for usage and activation-environment errors.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "probe" {
		return probe(args[1:], stdout, stderr)
	}
	cfg, code := parseFlags(args, stdout, stderr)
	if cfg == nil {
		return code
	}
	log := newLogger(stderr, cfg.logFormat, cfg.debug, stderrIsJournal)
	sigs := subscribeSignals() // once it is in force, a SIGTERM drains and removes our socket files
	defer sigs.stop()
	fds, files, err := socketsToServe(cfg)
	defer removeFiles(files, log)
	if err != nil {
		log.Error(err.Error())
		return exitCodeOf(err)
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
	return serve(cfg, log, sockets, files, sigs)
}
