package fleet

import (
	"os"
	"os/exec"
	"testing"

	"github.com/echo-activation/echo-server/engine/echotest"
)

// needTool returns the path of tool, from the Debian package pkg.
func needTool(t *testing.T, tool, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(tool)
	if err != nil {
		echotest.Skip(t, "%s not found: apt-get install %s (.ci/install-deps does)", tool, pkg)
	}
	return path
}

// needFleetTools checks for root and every tool the fleet tests run.
func needFleetTools(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		echotest.Skip(t, "the fleet tests need root (network namespaces, nftables)")
	}
	for _, tool := range []struct{ name, pkg string }{
		{"ip", "iproute2"}, {"nsenter", "util-linux"}, {"sysctl", "procps"},
		{"haproxy", "haproxy"}, {"nft", "nftables"},
	} {
		needTool(t, tool.name, tool.pkg)
	}
}
