package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest"
)

// helloSource is the hello-world the project's start-up is held against.
const helloSource = "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello, world\") }\n"

// buildFlags are the project's `make build` flags, for every program the
// tool builds itself.
var buildFlags = []string{"build", "-trimpath", "-ldflags=-s -w"}

// buildHello builds the hello-world in dir with goTool and returns its path.
func buildHello(goTool, dir string) (string, error) {
	src := filepath.Join(dir, "hello.go")
	if err := os.WriteFile(src, []byte(helloSource), 0o644); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "hello")
	return bin, goBuild(goTool, dir, bin, src)
}

// floorPackage is the server's main package, whose imports the floor
// program links, relative to the server module's root.
const floorPackage = "./cmd/echo-server"

// buildFloor builds, in dir, a program that imports every package the
// server's main package imports and whose main returns at once: the
// runtime's start and every package init of the server's binary, nothing
// of its own. It is built in the server's module (the parent of the bench
// module at benchDir), so that the imports resolve to this checkout.
func buildFloor(goTool, benchDir, dir string) (string, error) {
	abs, err := filepath.Abs(benchDir)
	if err != nil {
		return "", err
	}
	root := filepath.Dir(abs)
	list := exec.Command(goTool, "list", "-f", `{{join .Imports "\n"}}`, floorPackage)
	list.Dir = root
	out, err := list.Output()
	if err != nil {
		return "", fmt.Errorf("go list %s: %w", floorPackage, err)
	}
	var src strings.Builder
	src.WriteString("package main\n\nimport (\n")
	for _, p := range strings.Fields(string(out)) {
		fmt.Fprintf(&src, "\t_ %q\n", p)
	}
	src.WriteString(")\n\nfunc main() {}\n")
	file := filepath.Join(dir, "floor.go")
	if err := os.WriteFile(file, []byte(src.String()), 0o644); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "floor")
	return bin, goBuild(goTool, root, bin, file)
}

// exitOnce times one start of bin from exec to exit.
func exitOnce(name, bin string) (sample, error) {
	cmd, start, err := startNS(bin)
	if err != nil {
		return sample{}, err
	}
	if err := cmd.Wait(); err != nil {
		return sample{}, fmt.Errorf("%s: %w", name, err)
	}
	return sample{ready: notMeasured, echo: notMeasured, exit: time.Since(start)}, nil
}

// buildPeer builds the gnet-native peer from the bench module at benchDir.
func buildPeer(goTool, benchDir, dir string) (string, error) {
	bin := filepath.Join(dir, "gnetnative")
	return bin, goBuild(goTool, benchDir, bin, "./peers/gnetnative")
}

func goBuild(goTool, dir, bin, pkg string) error {
	cmd := exec.Command(goTool, append(buildFlags, "-o", bin, pkg)...)
	cmd.Dir, cmd.Env = dir, append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, out)
	}
	return nil
}

// startNS starts argv the way the project is started (PID 1 of a new PID
// namespace, no inherited sockets) and returns the command and its start.
func startNS(argv ...string) (*exec.Cmd, time.Time, error) {
	a := echotest.Activation{PIDNamespace: true}
	cmd := a.Command(argv[0], argv[1:]...)
	start := time.Now()
	return cmd, start, cmd.Start()
}

// pollEvery is how often gnetOnce tries to connect until gnet listens.
const pollEvery = 100 * time.Microsecond

// gnetOnce times one gnet-native from exec to the first echo. It binds its
// own listener, so the client connects as soon as the port answers (a
// refused connect on loopback costs microseconds; the poll adds at most
// pollEvery), for at most 5 s.
func gnetOnce(bin string) (sample, error) {
	addr, err := freePort()
	if err != nil {
		return sample{}, err
	}
	cmd, start, err := startNS(bin, "-net", "tcp", "-addr", addr)
	if err != nil {
		return sample{}, err
	}
	defer func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() }()
	c, err := dialUntil(addr, start.Add(5*time.Second))
	if err != nil {
		return sample{}, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("x")); err != nil {
		return sample{}, err
	}
	if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
		return sample{}, fmt.Errorf("gnet-native echo: %w", err)
	}
	return sample{ready: notMeasured, echo: time.Since(start), exit: notMeasured}, nil
}

func dialUntil(addr string, deadline time.Time) (net.Conn, error) {
	for {
		c, err := net.Dial("tcp4", addr)
		if err == nil || !errors.Is(err, syscall.ECONNREFUSED) || time.Now().After(deadline) {
			return c, err
		}
		time.Sleep(pollEvery)
	}
}

// freePort returns a loopback address whose port was free a moment ago.
func freePort() (string, error) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
