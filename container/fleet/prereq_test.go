package fleet

import (
	"os"
	"testing"

	"github.com/echo-activation/echo-server/engine/echotest"
)

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
		echotest.NeedTool(t, tool.name, tool.pkg)
	}
}
