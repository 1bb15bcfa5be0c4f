package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/echo-activation/echo-server/bench/internal/host"
	"github.com/echo-activation/echo-server/bench/internal/loadgen"
)

// runner starts one server per run on its own core, drives it with the
// load generator on the other core, and stops it. Every process it starts
// is bounded by a timeout and dies with it (Pdeathsig).
type runner struct {
	bins, project    string
	tmp              string // unix socket paths and server logs
	duration, warmup time.Duration
	serverCPU        string // taskset CPU list for servers
	loadCPU          string // taskset CPU list for the load generator
	nice             string // niceness for both, so other work on the machine disturbs less
	seq              int
}

// one runs cell c against server s once and returns its record; a run that
// could not be made has Error set.
func (r *runner) one(s server, c cell, rep int) loadgen.Result {
	r.seq++
	load := host.ReadLoad()
	res := loadgen.Result{Server: s.Name, Rep: rep, Mode: c.Mode, Network: c.Network, Conns: c.Conns, Len: c.Len,
		Load1: load.Avg1, CPUs: load.CPUs}
	addr, err := r.addr(c.Network)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	log := filepath.Join(r.tmp, fmt.Sprintf("run%d.log", r.seq))
	srv, err := r.start(s.argv(r.bins, c.Network, addr), log)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	if err := probe(c.Network, addr, 5*time.Second); err != nil {
		res.ServerExit = stop(srv)
		res.Error = fmt.Sprintf("server not ready on %s %s: %v; log: %s", c.Network, addr, err, tail(log))
		return res
	}
	res = r.loadgen(c, addr, srv.Process.Pid, res)
	res.ServerExit = stop(srv)
	_ = os.Remove(addr) // unix socket files, if any
	return res
}

// addr picks a free loopback port (bind port 0, close) or a fresh path.
func (r *runner) addr(network string) (string, error) {
	switch network {
	case "unix", "unixgram":
		return filepath.Join(r.tmp, fmt.Sprintf("s%d.sock", r.seq)), nil
	case "udp":
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return "", err
		}
		defer pc.Close()
		return pc.LocalAddr().String(), nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// start runs argv pinned to the server CPU with GOMAXPROCS=1; nice, taskset
// and systemd-socket-activate exec in place, so the PID is the server's.
func (r *runner) start(argv []string, log string) (*exec.Cmd, error) {
	f, err := os.Create(log)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cmd := exec.Command("nice", append([]string{"-n", r.nice, "taskset", "-c", r.serverCPU}, argv...)...)
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return cmd, cmd.Start()
}

// stop sends SIGTERM, waits up to 8s, then kills; it says how the server
// ended: "0", another exit code, or the signal.
func stop(cmd *exec.Cmd) string {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	var err error
	select {
	case err = <-done:
	case <-time.After(8 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		return "killed after 8s"
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) && !ee.Exited() {
		return ee.ProcessState.String()
	}
	return strconv.Itoa(cmd.ProcessState.ExitCode())
}

// loadgen runs the load generator pinned to its CPU and decodes its record.
func (r *runner) loadgen(c cell, addr string, pid int, res loadgen.Result) loadgen.Result {
	ctx, cancel := context.WithTimeout(context.Background(), r.duration+r.warmup+30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "nice", "-n", r.nice, "taskset", "-c", r.loadCPU, filepath.Join(r.bins, "loadgen"), "-quiet",
		"-mode", string(c.Mode), "-net", c.Network, "-addr", addr,
		"-conns", strconv.Itoa(c.Conns), "-len", strconv.Itoa(c.Len),
		"-duration", r.duration.String(), "-warmup", r.warmup.String(),
		"-server-pid", strconv.Itoa(pid), "-server", res.Server)
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	runErr := cmd.Run()
	rep := res.Rep
	if err := json.Unmarshal(lastLine(out.Bytes()), &res); err != nil {
		res.Error = fmt.Sprintf("loadgen: %v: %s", runErr, bytes.TrimSpace(errb.Bytes()))
		return res
	}
	res.Rep = rep
	if runErr != nil {
		res.Error = fmt.Sprintf("loadgen: %v: %s", runErr, lastLine(errb.Bytes()))
	}
	return res
}

func lastLine(b []byte) []byte {
	b = bytes.TrimSpace(b)
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		return b[i+1:]
	}
	return b
}

// tail returns the last lines of a log file, for error messages.
func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 400 {
		b = b[len(b)-400:]
	}
	return string(bytes.TrimSpace(b))
}
