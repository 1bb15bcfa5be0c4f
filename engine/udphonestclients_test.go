package engine

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest"
	"github.com/echo-activation/echo-server/engine/udprules"
)

// TestUDPHonestClients: with the defaults, from loopback and from a
// non-loopback address (where the reply budget applies), on IPv4 and
// IPv6, a client that sends 10,000 distinct datagrams back to back from
// one socket gets every one echoed, and a health checker that sends one
// fixed payload 5 times a second gets every echo.
func TestUDPHonestClients(t *testing.T) {
	for _, tc := range []struct{ name, url, bulk, checker string }{
		{name: "udp4/loopback", url: "udp4://127.0.0.1:0", bulk: "127.0.0.1", checker: "127.0.0.1"},
		{name: "udp4/remote", url: "udp4://127.0.0.1:0", bulk: "192.0.2.1", checker: "192.0.2.2"},
		{name: "udp6/loopback", url: "udp6://[::1]:0", bulk: "::1", checker: "::1"},
		{name: "udp6/remote", url: "udp6://[::1]:0", bulk: "2001:db8::1", checker: "2001:db8::2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ns := newNetns(t)
			g := startGuarded(t, ns, tc.url, udprules.Config{})
			bulk := listenUDP(t, ns, netip.AddrPortFrom(netip.MustParseAddr(tc.bulk), 0))
			checker := listenUDP(t, ns, netip.AddrPortFrom(netip.MustParseAddr(tc.checker), 0))
			done := make(chan error, 1)
			go func() { done <- healthCheck(checker, g.addr, 13, 200*time.Millisecond) }()
			if err := backToBack(bulk, g.addr, 10000, 16); err != nil {
				t.Error(err)
			}
			if err := <-done; err != nil {
				t.Errorf("health checker: %v", err)
			}
			if st := g.stats(); st.Refused != [udprules.NumReasons]uint64{} {
				t.Errorf("refused %v", st.Refused)
			}
		})
	}
}

// backToBack sends n distinct datagrams from c, keeping window of them in
// flight (more would overflow the server's receive buffer, which is not
// the server's doing), and fails unless each comes back intact, once.
func backToBack(c *net.UDPConn, server netip.AddrPort, n, window int) error {
	got, buf := make([]bool, n), make([]byte, 128)
	msg := func(i int) []byte {
		p := echotest.Payload(64, 11)
		binary.LittleEndian.PutUint64(p, uint64(i))
		return p
	}
	sent := 0
	for received := 0; received < n; received++ {
		for ; sent < n && sent-received < window; sent++ {
			if _, err := c.WriteToUDPAddrPort(msg(sent), server); err != nil {
				return err
			}
		}
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
		k, err := c.Read(buf)
		if err != nil {
			return fmt.Errorf("after %d of %d echoes: %w", received, n, err)
		}
		i := int(binary.LittleEndian.Uint64(buf))
		if k < 8 || i >= n || got[i] {
			return fmt.Errorf("echo %d: unexpected datagram (number %d)", received, i)
		}
		if err := echotest.Compare(buf[:k], msg(i)); err != nil {
			return fmt.Errorf("echo of datagram %d: %w", i, err)
		}
		got[i] = true
	}
	return nil
}

// healthCheck sends one fixed payload every period, count times, and fails
// unless each echo arrives before the next probe is due.
func healthCheck(c *net.UDPConn, server netip.AddrPort, count int, period time.Duration) error {
	probe, buf := []byte("health check: are you there?"), make([]byte, 64)
	tick := time.NewTicker(period)
	defer tick.Stop()
	for i := range count {
		if _, err := c.WriteToUDPAddrPort(probe, server); err != nil {
			return err
		}
		_ = c.SetReadDeadline(time.Now().Add(period))
		k, err := c.Read(buf)
		if err != nil {
			return fmt.Errorf("probe %d of %d: %w", i+1, count, err)
		}
		if err := echotest.Compare(buf[:k], probe); err != nil {
			return err
		}
		<-tick.C
	}
	return nil
}
