package main

import (
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest"
)

// projectSubject sets up the six sockets and the notify socket in dir
// and returns the row for server with loops event loops, and what closes
// the sockets.
func projectSubject(server string, loops int, dir string) (*subject, func(), error) {
	var closers []io.Closer
	cleanup := func() {
		for _, c := range closers {
			_ = c.Close()
		}
	}
	var socks []echotest.Socket
	for _, n := range []string{"tcp4", "tcp6", "udp4", "udp6", "unix", "unixgram"} {
		s, err := echotest.Listen(n, n, dir)
		if err != nil {
			cleanup()
			return nil, nil, err
		}
		closers = append(closers, s.File)
		socks = append(socks, s)
	}
	notify, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: filepath.Join(dir, "notify"), Net: "unixgram"})
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	closers = append(closers, notify)
	sub := &subject{name: fmt.Sprintf("%s --loops %d", filepath.Base(server), loops)}
	sub.once = func() (sample, error) {
		r, e, err := once(server, loops, socks, notify)
		return sample{ready: r, echo: e, exit: notMeasured}, err
	}
	return sub, cleanup, nil
}

// once starts the server, times READY=1 and the first echo, and stops it.
func once(server string, loops int, socks []echotest.Socket, notify *net.UnixConn) (time.Duration, time.Duration, error) {
	drain(notify)
	client, err := net.Dial("tcp4", socks[0].Addr) // queued by the kernel until the server accepts
	if err != nil {
		return 0, 0, err
	}
	defer client.Close()
	a := echotest.NewActivation(socks...)
	a.PIDNamespace = true // no shell in between to add its start-up time
	a.Env = []string{"NOTIFY_SOCKET=" + notify.LocalAddr().String()}
	cmd := a.Command(server, "--loops", fmt.Sprint(loops))
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	defer func() { // the client first, so the server has nothing to drain
		_ = client.Close()
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	if _, err := client.Write([]byte("x")); err != nil {
		return 0, 0, err
	}
	if err := waitReady(notify); err != nil {
		return 0, 0, err
	}
	ready := time.Since(start)
	_ = client.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(client, make([]byte, 1)); err != nil {
		return 0, 0, fmt.Errorf("first echo: %w", err)
	}
	return ready, time.Since(start), nil
}

func waitReady(notify *net.UnixConn) error {
	_ = notify.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 4096)
	for {
		n, err := notify.Read(buf)
		if err != nil {
			return fmt.Errorf("waiting for READY=1: %w", err)
		}
		if strings.Contains(string(buf[:n]), "READY=1") {
			return nil
		}
	}
}

// drain discards what a previous instance sent (STOPPING=1 and so on).
func drain(notify *net.UnixConn) {
	buf := make([]byte, 4096)
	for {
		_ = notify.SetReadDeadline(time.Now().Add(time.Millisecond))
		if _, err := notify.Read(buf); err != nil {
			return
		}
	}
}
