package fleet

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// serverBinary is echo-server, built once by TestMain.
var serverBinary string

// roleEnv makes the test binary a load generator instead of running tests:
// the tests start it in the client's network namespace, with the load as
// JSON in loadEnv, and read its result as JSON on its stdout.
const (
	roleEnv = "ECHO_FLEET_ROLE"
	loadEnv = "ECHO_FLEET_LOAD"
)

func TestMain(m *testing.M) {
	if role := os.Getenv(roleEnv); role != "" {
		os.Exit(runRole(role, os.Getenv(loadEnv)))
	}
	dir, err := os.MkdirTemp("", "echo-fleet")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	serverBinary = filepath.Join(dir, "echo-server")
	build := exec.Command("go", "build", "-o", serverBinary, "../../cmd/echo-server")
	build.Env = append(os.Environ(), "CGO_ENABLED=0") // static: the image is FROM scratch
	out, err := build.CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building the server: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// runRole runs one load and prints its result.
func runRole(role, load string) int {
	var result any
	var err error
	switch role {
	case "tcp":
		var l tcpLoad
		if err = json.Unmarshal([]byte(load), &l); err == nil {
			result = l.run()
		}
	case "hold":
		var l holdLoad
		if err = json.Unmarshal([]byte(load), &l); err == nil {
			result = l.run()
		}
	case "udp":
		var l udpLoad
		if err = json.Unmarshal([]byte(load), &l); err == nil {
			result, err = l.run()
		}
	default:
		err = fmt.Errorf("unknown role %q", role)
	}
	if err == nil {
		err = json.NewEncoder(os.Stdout).Encode(result)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// loadRun is a load generator running in the client's namespace.
type loadRun struct {
	p   *proc
	out *bytes.Buffer
}

// startLoad starts the test binary as a load generator of role in the
// client's namespace.
func startLoad(t *testing.T, f *fleetNet, role string, load any) *loadRun {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	spec, err := json.Marshal(load)
	if err != nil {
		t.Fatal(err)
	}
	cmd := f.command(f.ns("cl"), exe)
	cmd.Env = append(os.Environ(), roleEnv+"="+role, loadEnv+"="+string(spec))
	r := &loadRun{out: &bytes.Buffer{}}
	cmd.Stdout = r.out
	r.p = start(t, role+" load", cmd)
	return r
}

// wait decodes the load's result into result once it has finished, and
// fails if it runs longer than timeout.
func (r *loadRun) wait(t *testing.T, timeout time.Duration, result any) {
	t.Helper()
	select {
	case <-r.p.Exited:
	case <-time.After(timeout):
		t.Fatalf("load generator still running after %v", timeout)
	}
	if r.p.Err != nil {
		t.Fatalf("load generator: %v\n%s", r.p.Err, r.p.Stderr.String())
	}
	if err := json.Unmarshal(r.out.Bytes(), result); err != nil {
		t.Fatalf("load result %q: %v", r.out.String(), err)
	}
}
