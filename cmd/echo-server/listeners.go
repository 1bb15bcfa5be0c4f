package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"

	"github.com/echo-activation/echo-server/engine"
	"github.com/echo-activation/echo-server/engine/activation"
	"github.com/echo-activation/echo-server/engine/listen"
	"github.com/echo-activation/echo-server/engine/metrics"
)

// usageError is a start-up error of the command line or the activation
// environment: exit 2, where any other start-up failure is exit 1.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

func exitCodeOf(err error) int {
	var ue usageError
	var ae *activation.Error
	if errors.As(err, &ue) || errors.As(err, &ae) {
		return exitUsage
	}
	return exitFailure
}

// socketsToServe returns the inherited fds, or creates the --listen
// sockets; files are the unix socket files it created (remove them on exit,
// also after an error).
func socketsToServe(cfg *config) (fds []activation.InheritedFD, files []listen.SocketFile, err error) {
	fds, err = activation.ListenFDs()
	switch {
	case err == nil && len(cfg.listen) > 0:
		return nil, nil, usageError{errors.New("both socket activation (LISTEN_FDS) and --listen given: use one")}
	case err == nil:
		return create(fds, cfg.metrics, metrics.SocketName)
	case !errors.Is(err, activation.ErrNotActivated):
		return nil, nil, err
	case len(cfg.listen) == 0:
		return nil, nil, usageError{errors.New("no sockets: start me with socket activation " +
			"(a systemd .socket unit, or systemd-socket-activate -l 127.0.0.1:3000 echo-server) " +
			"or give --listen tcp://127.0.0.1:3000 (see --help)")}
	}
	fds, files, err = create(nil, cfg.listen, "")
	if err == nil {
		var mfds []activation.InheritedFD
		var mfiles []listen.SocketFile
		mfds, mfiles, err = create(fds, cfg.metrics, metrics.SocketName)
		fds, files = mfds, append(files, mfiles...)
	}
	return fds, files, err
}

// create adds a socket for each endpoint to fds, named by name when it is
// not empty (the metrics socket takes the activation path of one named so).
func create(fds []activation.InheritedFD, eps []listen.Endpoint, name string) ([]activation.InheritedFD, []listen.SocketFile, error) {
	var files []listen.SocketFile
	for _, e := range eps {
		fd, file, err := e.Listen()
		if err != nil {
			return fds, files, err
		}
		if name != "" {
			fd.Name = name
		}
		fds, files = append(fds, fd), append(files, file)
	}
	return fds, files, nil
}

// removeFiles removes the unix socket files this process created; files of
// inherited sockets are systemd's and stay.
func removeFiles(files []listen.SocketFile, log *slog.Logger) {
	for _, f := range files {
		if err := f.Remove(); err != nil {
			log.Warn("cannot remove socket file", "path", f.Path, "err", err)
		}
	}
}

// tryCommand is a command line that exercises one socket.
func tryCommand(st engine.SocketStats) string {
	name, abstract := strings.CutPrefix(st.Addr, "@")
	switch {
	case strings.HasPrefix(st.Network, "tcp") || strings.HasPrefix(st.Network, "udp") || strings.HasPrefix(st.Network, "mptcp"):
		// socat speaks plain TCP to an MPTCP listener: the kernel falls back.
		return fmt.Sprintf("echo hello | socat -t2 - %s:%s", strings.TrimPrefix(st.Network, "mp"), loopbackFor(st.Addr))
	case st.Network == "unixpacket" && abstract:
		return "echo hello | socat - abstract-connect:" + name + ",type=5" // 5: SOCK_SEQPACKET
	case st.Network == "unixpacket":
		return "echo hello | socat - unix-connect:" + st.Addr + ",type=5"
	case st.Network == "unix" && abstract:
		return "echo hello | socat - abstract-connect:" + name
	case st.Network == "unix":
		return "echo hello | socat - unix-connect:" + st.Addr
	case st.Network == "unixgram" && abstract:
		return "echo hello | socat -t2 - abstract-sendto:" + name + ",bind=echo-client-$$"
	case st.Network == "unixgram":
		return "echo hello | socat -t2 - unix-sendto:" + st.Addr + ",bind=/tmp/echo-client-$$.sock"
	case st.Network == "vsock":
		port := st.Addr[strings.LastIndexByte(st.Addr, ':')+1:]
		return "echo hello | socat - VSOCK-CONNECT:CID:" + port + "   (from a VM peer; CID: this host's)"
	}
	return ""
}

// loopbackFor turns a wildcard address into the loopback one a local
// client can use: 0.0.0.0 to 127.0.0.1, [::] to [::1].
func loopbackFor(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	switch host {
	case "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return net.JoinHostPort(host, port)
}
