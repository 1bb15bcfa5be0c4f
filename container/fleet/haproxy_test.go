package fleet

import (
	"encoding/csv"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// haproxy is HAProxy run with the shipped haproxy.cfg in the balancer's
// namespace, its frontend on haproxyVIP:echoPort.
type haproxy struct {
	p     *proc
	admin string // the runtime API socket
}

func startHAProxy(t *testing.T, f *fleetNet) *haproxy {
	t.Helper()
	dir, err := os.MkdirTemp("", "fleet-haproxy") // t.TempDir's name can hold commas, which HAProxy splits on
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	h := &haproxy{admin: filepath.Join(dir, "admin.sock")}
	cmd := f.command(f.ns("lb"), "haproxy", "-db", "-f", "haproxy.cfg")
	cmd.Env = append(os.Environ(), fmt.Sprintf("ECHO_BIND=%s:%d", haproxyVIP, echoPort),
		fmt.Sprintf("ECHO_HEALTH_PORT=%d", healthPort), "ECHO_ADMIN_SOCKET="+h.admin)
	for i := range f.hosts {
		cmd.Env = append(cmd.Env, fmt.Sprintf("ECHO_HOST%d=%s:%d", i+1, hostAddr(i), echoPort))
	}
	h.p = start(t, "haproxy", cmd)
	t.Cleanup(func() { h.p.Terminate(t, 5*time.Second) })
	return h
}

// command sends one runtime API command and returns the answer.
func (h *haproxy) command(cmd string) (string, error) {
	c, err := net.DialTimeout("unix", h.admin, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(c, cmd+"\n"); err != nil {
		return "", err
	}
	b, err := io.ReadAll(c)
	return string(b), err
}

// drain takes server out of rotation through the runtime API, as the
// documented procedure does, and waits until its last connection closed.
func (h *haproxy) drain(t *testing.T, server string) {
	t.Helper()
	h.must(t, "set server echo/"+server+" state drain")
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := h.stat()
		if err == nil && st[server]["status"] == "DRAIN" && st[server]["scur"] == "0" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not drained after 10s: %v (%v)", server, st[server], err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// must runs a runtime API command that answers nothing when it succeeds.
func (h *haproxy) must(t *testing.T, cmd string) {
	t.Helper()
	if out, err := h.command(cmd); err != nil || strings.TrimSpace(out) != "" {
		t.Fatalf("HAProxy %q: %q %v", cmd, out, err)
	}
}

// servers returns the status of each server of the echo backend as
// HAProxy reports it: UP, DOWN, "UP 1/2" (going down), DRAIN, MAINT...
func (h *haproxy) servers() (map[string]string, error) {
	st, err := h.stat()
	status := map[string]string{}
	for name, fields := range st {
		status[name] = fields["status"]
	}
	return status, err
}

// stat returns `show stat` for each server of the echo backend, by column.
func (h *haproxy) stat() (map[string]map[string]string, error) {
	out, err := h.command("show stat")
	if err != nil {
		return nil, err
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "# "))).ReadAll()
	if err != nil || len(rows) == 0 {
		return nil, fmt.Errorf("show stat: %v: %q", err, tail(out, 200))
	}
	st := map[string]map[string]string{}
	for _, r := range rows[1:] {
		fields := map[string]string{}
		for i, name := range rows[0] {
			if i < len(r) {
				fields[name] = r[i]
			}
		}
		if fields["pxname"] == "echo" && fields["svname"] != "BACKEND" && fields["svname"] != "FRONTEND" {
			st[fields["svname"]] = fields
		}
	}
	return st, nil
}

// waitStatus waits until every named server has status want.
func (h *haproxy) waitStatus(t *testing.T, want string, timeout time.Duration, names ...string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st, err := h.servers()
		if err == nil && allEqual(st, want, names) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("HAProxy servers %v not %s after %v: %v (%v)", names, want, timeout, st, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func allEqual(st map[string]string, want string, names []string) bool {
	for _, n := range names {
		if st[n] != want {
			return false
		}
	}
	return true
}
