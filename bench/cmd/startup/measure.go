package main

import (
	"fmt"
	"io"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest"
)

// measure starts the server runs times with loops event loops and returns
// its table row: median (min..max) ms from exec to READY=1 and to the echo.
func measure(server string, loops, runs int, dir string) (string, error) {
	var socks []echotest.Socket
	for _, n := range []string{"tcp4", "tcp6", "udp4", "udp6", "unix", "unixgram"} {
		s, err := echotest.Listen(n, n, dir)
		if err != nil {
			return "", err
		}
		defer s.File.Close()
		socks = append(socks, s)
	}
	notify, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: filepath.Join(dir, "notify"), Net: "unixgram"})
	if err != nil {
		return "", err
	}
	defer notify.Close()
	var ready, echo []time.Duration
	for range runs {
		r, e, err := once(server, loops, socks, notify)
		if err != nil {
			return "", err
		}
		ready, echo = append(ready, r), append(echo, e)
	}
	return fmt.Sprintf("| %s --loops %d | %d | %s | %s |\n", filepath.Base(server), loops, runs, summary(ready), summary(echo)), nil
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

func summary(d []time.Duration) string {
	slices.Sort(d)
	ms := func(x time.Duration) string { return fmt.Sprintf("%.2f", float64(x.Microseconds())/1000) }
	return fmt.Sprintf("%s (%s..%s)", ms(d[len(d)/2]), ms(d[0]), ms(d[len(d)-1]))
}
