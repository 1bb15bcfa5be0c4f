//go:build linux

package echotest

import (
	"os"
	"os/exec"
	"testing"
)

// Skip skips t for a missing prerequisite (a tool, a kernel feature, a
// resource limit), or fails it when the environment variable CI is "true":
// CI installs every prerequisite (.ci/install-deps), so there a skip would
// hide a test that did not run.
func Skip(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true, and a prerequisite is missing: "+format, args...)
	}
	t.Skipf(format, args...)
}

// NeedTool returns the path of tool, or skips t (fails it under CI=true)
// naming the Debian package pkg to install.
func NeedTool(t testing.TB, tool, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(tool)
	if err != nil {
		Skip(t, "%s not found: apt-get install %s (.ci/install-deps does)", tool, pkg)
	}
	return path
}
