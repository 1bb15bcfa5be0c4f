//go:build linux && amd64

package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest"
	seccomp "github.com/elastic/go-seccomp-bpf"
)

// noLandlockEnv makes the test binary, before TestMain, a launcher for a
// kernel without Landlock: it denies landlock_create_ruleset to itself
// with a seccomp filter, which exec keeps, and execs the server named by
// the variable with its own arguments.
const noLandlockEnv = "ECHO_TEST_EXEC_WITHOUT_LANDLOCK"

func init() {
	server := os.Getenv(noLandlockEnv)
	if server == "" {
		return
	}
	err := seccomp.LoadFilter(seccomp.Filter{NoNewPrivs: true, Flag: seccomp.FilterFlagTSync,
		Policy: seccomp.Policy{DefaultAction: seccomp.ActionAllow,
			Syscalls: []seccomp.SyscallGroup{{Action: seccomp.ActionErrno, Names: []string{"landlock_create_ruleset"}}}}})
	if err == nil {
		err = syscall.Exec(server, append([]string{server}, os.Args[1:]...), withoutVar(os.Environ(), noLandlockEnv))
	}
	os.Stderr.WriteString("launcher: " + err.Error() + "\n")
	os.Exit(3)
}

func withoutLandlock(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(echotest.WithoutListenVars(os.Environ()), noLandlockEnv+"="+binary)
	return cmd
}

// TestConfineMissingLayer plays a kernel without Landlock: --confine
// required exits 1 naming the missing layers before READY; auto serves
// with the layers it has and a warning.
func TestConfineMissingLayer(t *testing.T) {
	listen := []string{"--listen", "tcp4://127.0.0.1:0"}
	t.Run("required", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		out, err := withoutLandlock(ctx, append(listen, "--confine", "required")...).CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Fatalf("exit %v, want 1\n%s", err, out)
		}
		want := "cannot confine: --confine required: confinement layer missing: landlock-fs (kernel Landlock ABI 0, needs 1)"
		if !strings.Contains(string(out), want) || strings.Contains(string(out), "echo-server started") {
			t.Fatalf("output lacks %q (or the server started):\n%s", want, out)
		}
	})
	t.Run("auto", func(t *testing.T) {
		p := startCmd(t, withoutLandlock(context.Background(), append(listen, "--confine", "auto")...))
		p.WaitLog(t, "echo-server started", 1)
		log := p.Stderr.String()
		for _, want := range []string{"confinement incomplete", `confine="no_new_privs seccomp; missing: landlock-fs (kernel Landlock ABI 0, needs 1)`} {
			if !strings.Contains(log, want) {
				t.Errorf("log lacks %q", want)
			}
		}
		checkEchoAfter(t, serverAddrs(log)["tcp4://127.0.0.1:0"][1])
		if code := p.Terminate(t, 15*time.Second); code != 0 {
			t.Fatalf("exit code %d", code)
		}
	})
}
