package engine

import (
	"bytes"
	"encoding/binary"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest"
	"github.com/echo-activation/echo-server/engine/sourcelimit"
)

// dialFrom connects to addr from the local address from (any port).
func dialFrom(t *testing.T, from, addr string) net.Conn {
	t.Helper()
	c, err := echotest.DialFrom(from, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// refusedAtOnce reports whether the server closed c without echoing.
func refusedAtOnce(c net.Conn) bool {
	_, _ = c.Write([]byte("x"))
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := c.Read(make([]byte, 1))
	return n == 0 && err != nil && !isTimeout(err)
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// TestPerSourceCap: on both accept paths, one source (127.0.0.2) holds at
// most PerSource connections; the next is closed at once and counted with
// reason per_source, while other sources (127.0.0.3, ::1) are served, and
// a slot freed by a close is free again. Loopback is not exempt.
func TestPerSourceCap(t *testing.T) {
	const per = 3
	for _, path := range acceptPaths {
		t.Run(path.name, func(t *testing.T) {
			opts := append([]Option{WithSourceLimits(sourcelimit.Config{PerSource: per})}, path.opts...)
			srv, stats := startServerWith(t, opts, "tcp://:0")
			_, port, _ := net.SplitHostPort(stats[0].Addr)
			addr4, addr6 := "127.0.0.1:"+port, "[::1]:"+port
			var held []net.Conn
			for range per {
				c := dialFrom(t, "127.0.0.2", addr4)
				if err := echoOnce(c); err != nil {
					t.Fatal(err)
				}
				held = append(held, c)
			}
			if !refusedAtOnce(dialFrom(t, "127.0.0.2", addr4)) {
				t.Fatal("a connection over the per-source cap was served")
			}
			for _, other := range []struct{ from, addr string }{{"127.0.0.3", addr4}, {"::1", addr6}} {
				if err := echoOnce(dialFrom(t, other.from, other.addr)); err != nil {
					t.Fatalf("from %s while 127.0.0.2 is at its cap: %v", other.from, err)
				}
			}
			held[0].Close()
			waitOpen(t, srv, per+1) // the two others' connections are still open
			if err := echoOnce(dialFrom(t, "127.0.0.2", addr4)); err != nil {
				t.Fatalf("after a close, the source's next connection: %v", err)
			}
			if got := srv.Stats()[0].RejectedBy; got[RejectedPerSource] != 1 || got[RejectedMaxConns] != 0 {
				t.Fatalf("rejected by reason %v, want one per_source", got)
			}
		})
	}
}

// proxyV1 and proxyV2 are PROXY headers naming client as the source.
func proxyV1(client netip.AddrPort) []byte {
	fam := "TCP4"
	if client.Addr().Is6() {
		fam = "TCP6"
	}
	dst := "127.0.0.1"
	if client.Addr().Is6() {
		dst = "::1"
	}
	return []byte("PROXY " + fam + " " + client.Addr().String() + " " + dst + " " + strconv.Itoa(int(client.Port())) + " 7\r\n")
}

var v2sig = []byte("\r\n\r\n\x00\r\nQUIT\n")

func proxyV2(client netip.AddrPort, local bool, tlv []byte) []byte {
	b := append([]byte(nil), v2sig...)
	cmd := byte(0x21)
	if local {
		cmd = 0x20
	}
	var addrs []byte
	fam := byte(0x11)
	if client.Addr().Is4() {
		a := client.Addr().As4()
		addrs = append(append(addrs, a[:]...), 127, 0, 0, 1)
	} else {
		fam = 0x21
		a, d := client.Addr().As16(), netip.IPv6Loopback().As16()
		addrs = append(append(addrs, a[:]...), d[:]...)
	}
	addrs = binary.BigEndian.AppendUint16(addrs, client.Port())
	addrs = binary.BigEndian.AppendUint16(addrs, 7)
	addrs = append(addrs, tlv...)
	b = append(b, cmd, fam)
	b = binary.BigEndian.AppendUint16(b, uint16(len(addrs)))
	return append(b, addrs...)
}

// TestProxyProtocol: from a trusted proxy, the header (v1 or v2, whole or
// byte by byte, with a TLV) is removed and never echoed, the client it
// names is the source the limits count, and a LOCAL header is served as
// the proxy, uncounted; a malformed header or none in time closes the
// connection (proxy_header); from an untrusted address the same bytes are
// data and are echoed.
func TestProxyProtocol(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}
	opts := []Option{WithSourceLimits(sourcelimit.Config{PerSource: 1}), WithProxyProtocol(trusted, 300*time.Millisecond)}
	srv, stats := startServerWith(t, opts, "tcp4://127.0.0.1:0")
	addr := stats[0].Addr
	payload := echotest.Payload(64<<10, 3)
	client := netip.MustParseAddrPort("192.0.2.7:40000")
	tlv := []byte{0x04, 0x00, 0x03, 'a', 'b', 'c'} // PP2_TYPE_NOOP
	for _, tc := range []struct {
		name   string
		header []byte
		split  bool
	}{
		{"v1", proxyV1(client), false},
		{"v1 byte by byte", proxyV1(netip.MustParseAddrPort("[2001:db8::9]:4000")), true},
		{"v2 with a TLV", proxyV2(netip.MustParseAddrPort("192.0.2.8:1"), false, tlv), false},
		{"v2 byte by byte", proxyV2(netip.MustParseAddrPort("[2001:db8:1::8]:2"), false, nil), true},
	} {
		c := dialFrom(t, "127.0.0.2", addr)
		if tc.split {
			for i := range tc.header {
				if _, err := c.Write(tc.header[i : i+1]); err != nil {
					t.Fatal(err)
				}
				time.Sleep(time.Millisecond)
			}
		} else if _, err := c.Write(tc.header); err != nil {
			t.Fatal(err)
		}
		if err := echotest.Stream(c, payload, 10*time.Second); err != nil {
			t.Fatalf("%s: echo after the header: %v", tc.name, err)
		}
		// The client named is the source: with PerSource 1, a second
		// connection naming it is refused while the first is open.
		c2 := dialFrom(t, "127.0.0.2", addr)
		_, _ = c2.Write(tc.header)
		if !refusedAtOnce(c2) {
			t.Fatalf("%s: a second connection from the same named client was served", tc.name)
		}
	}
	// LOCAL: the proxy's own health check is served and not counted (two at once).
	for range 2 {
		c := dialFrom(t, "127.0.0.2", addr)
		_, _ = c.Write(proxyV2(client, true, nil))
		if err := echoOnce(c); err != nil {
			t.Fatalf("LOCAL: %v", err)
		}
	}
	before := srv.Stats()[0].RejectedBy[RejectedProxyHeader]
	bad := dialFrom(t, "127.0.0.2", addr)
	_, _ = bad.Write([]byte("PROXY TCP4 300.1.2.3 127.0.0.1 1 2\r\n"))
	if !refusedAtOnce(bad) {
		t.Fatal("a malformed header was accepted")
	}
	silent := dialFrom(t, "127.0.0.2", addr)
	_ = silent.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := silent.Read(make([]byte, 1)); n != 0 || err == nil || isTimeout(err) {
		t.Fatalf("no header: read %d, %v; want closed after the header timeout", n, err)
	}
	if got := srv.Stats()[0].RejectedBy[RejectedProxyHeader] - before; got != 2 {
		t.Fatalf("%d proxy_header rejections, want 2", got)
	}
	// Untrusted: a header is data, echoed; the sender is the source.
	c := dialFrom(t, "127.0.0.3", addr)
	h := proxyV1(client)
	if err := echotest.Stream(c, append(h, payload...), 10*time.Second); err != nil {
		t.Fatalf("untrusted: %v", err)
	}
	if bytes.Contains(payload, h) {
		t.Fatal("the payload holds the header: the test proves nothing")
	}
}

// TestConnRate: a non-loopback source (named by a trusted proxy's header)
// opens Burst connections at once and the next is refused, reason rate;
// a loopback source is exempt from the rate (not from the cap).
func TestConnRate(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}
	opts := []Option{WithSourceLimits(sourcelimit.Config{Rate: 1, Burst: 3}), WithProxyProtocol(trusted, time.Second)}
	srv, stats := startServerWith(t, opts, "tcp4://127.0.0.1:0")
	addr := stats[0].Addr
	header := proxyV1(netip.MustParseAddrPort("198.51.100.4:5000"))
	for i := range 3 {
		c := dialFrom(t, "127.0.0.2", addr)
		_, _ = c.Write(header)
		if err := echoOnce(c); err != nil {
			t.Fatalf("connection %d of the burst: %v", i, err)
		}
		c.Close()
	}
	c := dialFrom(t, "127.0.0.2", addr)
	_, _ = c.Write(header)
	if !refusedAtOnce(c) {
		t.Fatal("a connection past the burst was served")
	}
	for i := range 20 { // loopback: no rate
		if err := echoOnce(dialFrom(t, "127.0.0.3", addr)); err != nil {
			t.Fatalf("loopback connection %d: %v", i, err)
		}
	}
	if got := srv.Stats()[0].RejectedBy; got[RejectedRate] != 1 {
		t.Fatalf("rejected by reason %v, want one rate", got)
	}
}

// TestProxyDebugLine: under --debug, the connection's debug lines name the
// client a PROXY header gives, not only the proxy it came through.
func TestProxyDebugLine(t *testing.T) {
	buf := &echotest.LockedBuffer{}
	log := slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	trusted := []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}
	_, stats := startServerWith(t, []Option{WithLogger(log), WithDebug(true), WithProxyProtocol(trusted, time.Second)}, "tcp4://127.0.0.1:0")
	for _, tc := range []struct {
		header []byte
		want   string
	}{
		{proxyV1(netip.MustParseAddrPort("192.0.2.7:40000")), "proxy=127.0.0.2 client=192.0.2.7:40000"},
		{proxyV2(netip.MustParseAddrPort("[2001:db8::5]:4000"), false, nil), "proxy=127.0.0.2 client=[2001:db8::5]:4000"},
		{proxyV2(netip.MustParseAddrPort("192.0.2.9:1"), true, nil), `proxy=127.0.0.2 client="LOCAL (the proxy itself)"`},
	} {
		c := dialFrom(t, "127.0.0.2", stats[0].Addr)
		_, _ = c.Write(tc.header)
		if err := echoOnce(c); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), tc.want) {
			t.Errorf("no debug line with %q:\n%s", tc.want, buf.String())
		}
	}
}
