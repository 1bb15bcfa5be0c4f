package engine

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest"
	"github.com/echo-activation/echo-server/engine/udprules"
)

// sourceCase is one forged datagram: from src to a server, and what the
// server must do with it.
type sourceCase struct {
	server string // udp4, udp6 or dual
	src    string
	v6     bool            // send in an IPv6 header (a dual-stack server at ::1)
	want   udprules.Reason // udprules.Answered or the reason
	// kernelDrops: Linux drops this source before any socket sees it (IPv4
	// 0.0.0.0; IPv6 multicast, RFC 4291 2.7); the rule is then covered by
	// TestSourceRule only, and the test checks that the kernel still does.
	kernelDrops bool
}

var sourceCases = []sourceCase{
	{server: "udp4", src: "127.0.0.1:40000", want: udprules.Answered},
	{server: "udp4", src: "192.0.2.1:1024", want: udprules.Answered},
	{server: "udp4", src: "127.0.0.1:7", want: udprules.RefusedPort},
	{server: "udp4", src: "127.0.0.1:7", want: udprules.RefusedPort},
	{server: "udp4", src: "192.0.2.1:19", want: udprules.RefusedPort},
	{server: "udp4", src: "127.0.0.1:1023", want: udprules.RefusedPort},
	{server: "udp4", src: "127.0.0.1:2049", want: udprules.RefusedPort},
	{server: "udp4", src: "127.0.0.1:2050", want: udprules.Answered},
	{server: "udp4", src: "0.1.2.3:40000", want: udprules.RefusedAddress},
	{server: "udp4", src: "224.0.0.1:40000", want: udprules.RefusedAddress},
	{server: "udp4", src: "239.1.2.3:40000", want: udprules.RefusedAddress},
	{server: "udp4", src: "255.255.255.255:40000", want: udprules.RefusedAddress},
	{server: "udp4", src: "0.0.0.0:40000", want: udprules.RefusedAddress, kernelDrops: true},
	{server: "udp6", v6: true, src: "[::1]:40000", want: udprules.Answered},
	{server: "udp6", v6: true, src: "[2001:db8::1]:40000", want: udprules.Answered},
	{server: "udp6", v6: true, src: "[::1]:7", want: udprules.RefusedPort},
	{server: "udp6", v6: true, src: "[2001:db8::1]:123", want: udprules.RefusedPort},
	{server: "udp6", v6: true, src: "[::1]:2049", want: udprules.RefusedPort},
	{server: "udp6", v6: true, src: "[::]:40000", want: udprules.RefusedAddress},
	{server: "udp6", v6: true, src: "[ff02::1]:40000", want: udprules.RefusedAddress, kernelDrops: true},
	{server: "udp6", v6: true, src: "[ff0e::1]:40000", want: udprules.RefusedAddress, kernelDrops: true},
	{server: "dual", src: "127.0.0.1:40001", want: udprules.Answered},
	{server: "dual", src: "127.0.0.1:123", want: udprules.RefusedPort},
	{server: "dual", src: "0.1.2.3:40000", want: udprules.RefusedAddress},
	{server: "dual", src: "224.0.0.1:40000", want: udprules.RefusedAddress},
	{server: "dual", src: "255.255.255.255:40000", want: udprules.RefusedAddress},
	{server: "dual", v6: true, src: "[::ffff:127.0.0.1]:40002", want: udprules.Answered},
	{server: "dual", v6: true, src: "[::ffff:127.0.0.1]:19", want: udprules.RefusedPort},
	{server: "dual", v6: true, src: "[::ffff:0.0.0.0]:40000", want: udprules.RefusedAddress},
	{server: "dual", v6: true, src: "[::ffff:224.0.0.1]:40000", want: udprules.RefusedAddress},
	{server: "dual", v6: true, src: "[::ffff:255.255.255.255]:40000", want: udprules.RefusedAddress},
}

// TestUDPRefusesSources forges one datagram per case with a raw socket and
// checks the server's verdict three ways: its counters, whether a socket
// bound at the forged source (where one can be) gets the echo, and its log
// (one line per reason, naming the first refused source). A plain socket
// is sent the same datagram first, so a source the kernel drops by itself
// is known rather than mistaken for a refusal.
func TestUDPRefusesSources(t *testing.T) {
	ns := newNetns(t)
	f := newForgerIn(t, ns)
	servers := map[string]*guarded{}
	for _, s := range []struct{ name, url string }{{"udp4", "udp4://127.0.0.1:0"}, {"udp6", "udp6://[::1]:0"}, {"dual", "dual"}} {
		servers[s.name] = startGuarded(t, ns, s.url, udprules.Config{})
	}
	controls := map[string]*guarded{"udp4": startGuarded(t, ns, "udp4://127.0.0.1:0", udprules.Config{}), "udp6": startGuarded(t, ns, "udp6://[::1]:0", udprules.Config{})}
	firstRefused := map[string]map[udprules.Reason]string{}
	for i, tc := range sourceCases {
		src := netip.MustParseAddrPort(tc.src)
		payload := []byte(fmt.Sprintf("case %d from %s", i, tc.src))
		control := controls["udp4"]
		if tc.v6 {
			control = controls["udp6"]
		}
		if delivered := forgeAndWait(t, f, control, src, control.to(tc.v6), payload); delivered == tc.kernelDrops {
			t.Fatalf("%s: the kernel delivered it: %v, expected %v", tc.src, delivered, !tc.kernelDrops)
		}
		if tc.kernelDrops {
			continue
		}
		g := servers[tc.server]
		checkVerdict(t, ns, f, g, tc, src, payload)
		if m := firstRefused[tc.server]; tc.want != udprules.Answered && m[tc.want] == "" {
			firstRefused[tc.server] = map[udprules.Reason]string{tc.want: src.String()}
			for r, s := range m {
				firstRefused[tc.server][r] = s
			}
		}
	}
	for name, reasons := range firstRefused {
		checkRefusalLog(t, servers[name], reasons)
	}
	checkRefusedMetric(t, servers["udp4"])
}

// forgeAndWait forges payload from src to dst and reports whether the
// server g received it (its only traffic: it must be idle otherwise).
func forgeAndWait(t *testing.T, f *forger, g *guarded, src, dst netip.AddrPort, payload []byte) bool {
	t.Helper()
	before := g.stats().DatagramsIn
	if err := f.send(src, dst, payload); err != nil {
		t.Fatalf("forge %s -> %s: %v", src, dst, err)
	}
	for deadline := time.Now().Add(300 * time.Millisecond); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if g.stats().DatagramsIn > before {
			return true
		}
	}
	return false
}

func checkVerdict(t *testing.T, ns *netns, f *forger, g *guarded, tc sourceCase, src netip.AddrPort, payload []byte) {
	t.Helper()
	var catch func() ([]byte, bool)
	if unicast := src.Addr().Unmap(); unicast.IsLoopback() || isTestNetAddr(unicast) {
		c := listenUDP(t, ns, netip.AddrPortFrom(unicast, src.Port()))
		defer c.Close()
		catch = func() ([]byte, bool) { return readWithin(c, make([]byte, 256), 200*time.Millisecond) }
	}
	before := g.stats()
	if err := f.send(src, g.to(tc.v6), payload); err != nil {
		t.Fatal(err)
	}
	after := g.waitHandled(t, before.handled()+1)
	answeredNow := after.DatagramsOut - before.DatagramsOut
	var refusedNow [udprules.NumReasons]uint64
	for r := range refusedNow {
		refusedNow[r] = after.Refused[r] - before.Refused[r]
	}
	switch {
	case tc.want == udprules.Answered && answeredNow != 1:
		t.Errorf("%s -> %s: not answered (refused %v)", tc.src, tc.server, refusedNow)
	case tc.want != udprules.Answered && refusedNow[tc.want] != 1:
		t.Errorf("%s -> %s: not refused as %v (udprules.Answered %d, refused %v)", tc.src, tc.server, tc.want, answeredNow, refusedNow)
	}
	if catch == nil {
		return
	}
	got, ok := catch()
	switch {
	case tc.want == udprules.Answered && !ok:
		t.Errorf("%s -> %s: no echo arrived at the source", tc.src, tc.server)
	case tc.want == udprules.Answered:
		if err := echotest.Compare(got, payload); err != nil {
			t.Errorf("%s -> %s: %v", tc.src, tc.server, err)
		}
	case ok:
		t.Errorf("%s -> %s: refused, yet %q arrived at the source", tc.src, tc.server, got)
	}
}

// checkRefusalLog: one line per reason however many refusals (all within
// the 5 s of rateLogInterval), naming the first refused source.
func checkRefusalLog(t *testing.T, g *guarded, first map[udprules.Reason]string) {
	t.Helper()
	for r, src := range first {
		lines := g.log.Lines("datagram not answered", "reason="+r.String())
		if len(lines) != 1 || !strings.Contains(lines[0], "source="+src) {
			t.Errorf("%s: log lines for %v: %q, want one naming source=%s", g.addr, r, lines, src)
		}
	}
}

func checkRefusedMetric(t *testing.T, g *guarded) {
	t.Helper()
	want := map[udprules.Reason]uint64{udprules.RefusedPort: 5, udprules.RefusedAddress: 4, udprules.RefusedLoop: 0, udprules.RefusedBudget: 0}
	for _, st := range g.srv.Stats() {
		if st.Network != "udp4" {
			continue
		}
		for r, n := range want {
			if st.Refused[r] != n {
				t.Errorf("%s: refused %v = %d, want %d (the metrics package renders these as echo_datagrams_refused_total)", st.Name, r, st.Refused[r], n)
			}
		}
	}
}

// isTestNetAddr is true for the namespace's own documentation addresses.
func isTestNetAddr(a netip.Addr) bool {
	for _, p := range testNetAddrs {
		if netip.MustParsePrefix(p).Addr() == a {
			return true
		}
	}
	return false
}
