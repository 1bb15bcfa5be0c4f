package main

import (
	"bufio"
	"fmt"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest"
)

// instance is one running server process.
type instance struct {
	cmd *exec.Cmd
	n   int // 1 for the first start
}

func startServer(server string, socks []echotest.Socket, n int) (*instance, error) {
	args := []string{"--loops", "2", "--drain-timeout", "2s", "--idle-timeout", "5s"}
	a := echotest.NewActivation(socks...)
	a.PIDNamespace = true // LISTEN_PID=1 without a shell, as startup does (root)
	cmd := a.Command(server, args...)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &instance{cmd: cmd, n: n}, nil
}

// stop sends SIGTERM and requires exit status 0.
func (in *instance) stop() error {
	_ = in.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- in.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("server instance %d: %w", in.n, err)
		}
		return nil
	case <-time.After(20 * time.Second):
		_ = in.cmd.Process.Kill()
		return fmt.Errorf("server instance %d did not stop within 20s of SIGTERM", in.n)
	}
}

// gauges are what the server's metrics socket says about its process.
type gauges struct {
	goroutines, fds, openConns int
	rssMiB                     float64
}

func scrape(addr string) (gauges, error) {
	var g gauges
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + addr + "/metrics")
	if err != nil {
		return g, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(name, "#") {
			continue
		}
		v, _ := strconv.ParseFloat(value, 64)
		switch {
		case name == "go_goroutines":
			g.goroutines = int(v)
		case name == "process_open_fds":
			g.fds = int(v)
		case name == "process_resident_memory_bytes":
			g.rssMiB = v / (1 << 20)
		case strings.HasPrefix(name, "echo_connections_open{"):
			g.openConns += int(v)
		}
	}
	return g, sc.Err()
}
