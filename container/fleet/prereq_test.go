package fleet

import (
	"os"
	"os/exec"
	"testing"
)

// unavailable stops the test when a prerequisite is missing: a skip that
// says what to install, or a failure under CI=true, where .ci/run installs
// everything and a missing tool is a broken CI, not a reason to pass.
func unavailable(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// needTool returns the path of tool, from the Debian package pkg.
func needTool(t *testing.T, tool, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(tool)
	if err != nil {
		unavailable(t, "%s not found: apt-get install %s (.ci/run does)", tool, pkg)
	}
	return path
}

// needFleetTools checks for root and every tool the fleet tests run.
func needFleetTools(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		unavailable(t, "the fleet tests need root (network namespaces, nftables)")
	}
	for _, tool := range []struct{ name, pkg string }{
		{"ip", "iproute2"}, {"nsenter", "util-linux"}, {"sysctl", "procps"},
		{"haproxy", "haproxy"}, {"nft", "nftables"},
	} {
		needTool(t, tool.name, tool.pkg)
	}
}
