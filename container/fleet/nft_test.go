package fleet

import (
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// loadNftBalancer loads the shipped echo-lb.nft in the balancer's namespace,
// with the test network's addresses.
func loadNftBalancer(t *testing.T, f *fleetNet) {
	t.Helper()
	args := []string{"-D", "VIP=" + nftVIP, "-D", fmt.Sprintf("PORT=%d", echoPort)}
	for i := range f.hosts {
		args = append(args, "-D", fmt.Sprintf("HOST%d=%s", i+1, hostAddr(i)))
	}
	if out, err := f.command(f.ns("lb"), "nft", append(args, "-f", "echo-lb.nft")...).CombinedOutput(); err != nil {
		t.Fatalf("nft -f echo-lb.nft: %v\n%s", err, out)
	}
}

// TestNftablesBalancer runs three hosts with held sockets behind the
// shipped nftables balancer: TCP connections echo byte for byte, and a
// stream of UDP datagrams from 30 client ports loses nothing while each
// host is restarted once. Every host must have served both.
func TestNftablesBalancer(t *testing.T) {
	needFleetTools(t)
	f := newFleetNet(t, 3)
	backends := make([]*backend, len(f.hosts))
	for i := range f.hosts {
		backends[i] = startBackend(t, f, i, heldSockets, []string{"--drain-timeout", "2s"}, false)
	}
	loadNftBalancer(t, f)
	addr := fmt.Sprintf("%s:%d", nftVIP, echoPort)

	var tcp tcpResult
	tl := tcpLoad{Addr: addr, Rate: 200, Duration: time.Second, Size: 4096, Timeout: 5 * time.Second}
	startLoad(t, f, "tcp", tl).wait(t, 20*time.Second, &tcp)
	t.Logf("tcp: %d connections, %d failed, %d wrong bytes", tcp.Attempted, tcp.Failed, tcp.WrongBytes)
	if tcp.Attempted != 200 || tcp.Failed != 0 || tcp.WrongBytes != 0 {
		t.Errorf("tcp through the nftables balancer: %+v", tcp)
	}

	ul := udpLoad{Addr: addr, Flows: 30, Rate: 600, Duration: 8 * time.Second, Size: 512, Grace: time.Second}
	run := startLoad(t, f, "udp", ul)
	t0 := time.Now()
	for i, b := range backends {
		time.Sleep(time.Until(t0.Add(time.Duration(2*i+2) * time.Second)))
		b.restart(t)
	}
	var udp udpResult
	run.wait(t, 30*time.Second, &udp)
	t.Logf("udp: %d datagrams sent, %d echoed intact, %d lost, %d wrong, %d duplicated, over %d restarts",
		udp.Sent, udp.Echoed, udp.Sent-udp.Echoed, udp.Wrong, udp.Duplicates, len(backends))
	if udp.Sent != int64(ul.Rate)*int64(ul.Duration.Seconds()) || udp.Echoed != udp.Sent || udp.Wrong != 0 || udp.Duplicates != 0 {
		t.Errorf("udp through the nftables balancer: %+v", udp)
	}
	for _, b := range backends {
		b.stop(t)
		accepted, datagrams := b.served("tcp", "accepted"), b.served("udp", "datagrams_in")
		t.Logf("%s: %d tcp connections, %d datagrams", b.name(), accepted, datagrams)
		if accepted == 0 || datagrams == 0 {
			t.Errorf("%s served %d tcp connections and %d datagrams: the balancer skipped it", b.name(), accepted, datagrams)
		}
		for _, p := range b.starts {
			in, out := countIn(p, "udp", "datagrams_in"), countIn(p, "udp", "datagrams_out")
			if in == 0 {
				t.Errorf("%s served no datagram: the restart did not happen under load", p.name)
			}
			if in != out {
				t.Errorf("%s read %d datagrams and echoed %d", p.name, in, out)
			}
		}
	}
}

// served sums a counter of socket name over the final stats that every
// process of the backend logged when it stopped.
func (b *backend) served(name, counter string) int64 {
	var sum int64
	for _, p := range b.starts {
		sum += countIn(p, name, counter)
	}
	return sum
}

// countIn is a counter of socket name in the final stats p logged.
func countIn(p *proc, name, counter string) int64 {
	re := regexp.MustCompile(`why=final name=` + name + ` .*\b` + counter + `=(\d+)`)
	var sum int64
	for _, m := range re.FindAllStringSubmatch(p.stderr.String(), -1) {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		sum += n
	}
	return sum
}
