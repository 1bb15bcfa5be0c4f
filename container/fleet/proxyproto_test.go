package fleet

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest"
)

// holdLoad opens PerFrom connections from each local address in From, one
// after another, echoes once on each, and keeps every one open until all
// are tried: how many each address got echoed is what a per-source cap
// let through.
type holdLoad struct {
	Addr    string
	From    []string
	PerFrom int
}

func (l holdLoad) run() map[string]int {
	served := map[string]int{}
	var open []net.Conn
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	for _, from := range l.From {
		for range l.PerFrom {
			c, err := echotest.DialFrom(from, l.Addr)
			if err != nil {
				continue
			}
			open = append(open, c)
			if echotest.Stream(c, []byte("held "+from), 5*time.Second) == nil {
				served[from]++
			}
		}
	}
	return served
}

// TestHAProxyNamesTheClient: behind the shipped haproxy.cfg (send-proxy-v2)
// a host started with --proxy-protocol counts and logs the client's
// address, not HAProxy's: with --max-conns-per-source 2, a client address
// gets 2 connections echoed of 3 while a second client address still gets
// its 2, although every connection comes from HAProxy; the refusal's log
// line names the client as the source and HAProxy only as the proxy it
// came through.
func TestHAProxyNamesTheClient(t *testing.T) {
	needFleetTools(t)
	f := newFleetNet(t, 3)
	const second = "10.213.1.2"
	runIP(t, [][]string{{"-n", f.ns("cl"), "addr", "add", second + "/24", "dev", "eth0"}})
	b := startBackend(t, f, 0, ownSockets, append([]string{"--max-conns-per-source", "2"}, proxyArgs...), false)
	h := startHAProxy(t, f)
	h.waitStatus(t, "UP", 10*time.Second, b.name())
	h.waitStatus(t, "DOWN", 10*time.Second, "echo2", "echo3") // no server there: every connection goes to echo1
	run := startLoad(t, f, "hold", holdLoad{Addr: echoAddr(haproxyVIP), From: []string{clientAddr, second}, PerFrom: 3})
	var served map[string]int
	run.wait(t, 30*time.Second, &served)
	if served[clientAddr] != 2 || served[second] != 2 {
		t.Fatalf("echoed per client address %v, want 2 of 3 for each (the cap of 2 per client, not per HAProxy)", served)
	}
	b.cur.WaitLog(t, "connection refused: per-source limit", 2)
	log := b.cur.Stderr.String()
	for _, want := range []string{"source=" + clientAddr + " via=" + lbInside + " reason=per_source", "source=" + second + " via=" + lbInside} {
		if !strings.Contains(log, want) {
			t.Errorf("the server log has no %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "source="+lbInside) {
		t.Errorf("the server counted HAProxy's address as a source:\n%s", log)
	}
}
