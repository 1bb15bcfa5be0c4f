package fleet

import (
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// loadNftBalancer loads the shipped echo-lb.nft in the balancer's namespace
// with the test network's addresses, spreading new flows over the given
// hosts (all when none is given; a host may fill several of the file's
// three entries). Reloading replaces the table in one transaction; flows
// already in conntrack keep their host.
func loadNftBalancer(t *testing.T, f *fleetNet, hosts ...int) {
	t.Helper()
	if len(hosts) == 0 {
		for i := range f.hosts {
			hosts = append(hosts, i)
		}
	}
	args := []string{"-D", "VIP=" + nftVIP, "-D", fmt.Sprintf("PORT=%d", echoPort)}
	for k := range 3 {
		args = append(args, "-D", fmt.Sprintf("HOST%d=%s", k+1, hostAddr(hosts[k%len(hosts)])))
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
				t.Errorf("%s served no datagram: the restart did not happen under load", p.Name)
			}
			if in != out {
				t.Errorf("%s read %d datagrams and echoed %d", p.Name, in, out)
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
	for _, m := range re.FindAllStringSubmatch(p.Stderr.String(), -1) {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		sum += n
	}
	return sum
}

// endpointLag is how long after SIGTERM the nftables balancer goes on
// sending new connections to the host, as kube-proxy (nftables or iptables
// mode) follows the endpoint controller: the pod is taken out of the
// Service when it begins terminating, and each node's rules follow a
// moment later.
const endpointLag = time.Second

var nftRestartVariants = []struct {
	name     string
	args     []string
	wantLoss bool
}{
	{"--shutdown-delay longer than the lag", delayArgs, false},
	{"no delay (negative control)", nil, true},
}

// TestNftablesRestarts restarts a host that owns its sockets (--listen, as
// in a Kubernetes pod) behind the nftables balancer under load. Unlike
// HAProxy, the balancer cannot retry a refused connect and has no health
// check: the test takes the host out of its map endpointLag after SIGTERM,
// as kube-proxy would. With --shutdown-delay longer than that lag no
// connection fails; without it the connections sent during the lag are
// refused (the negative control).
func TestNftablesRestarts(t *testing.T) {
	needFleetTools(t)
	f := newFleetNet(t, 3)
	for _, v := range nftRestartVariants {
		t.Run(v.name, func(t *testing.T) {
			backends := startBackends(t, f, ownSockets, v.args, false)
			loadNftBalancer(t, f)
			res, began := restartUnderLoad(t, f, echoAddr(nftVIP), shortRun, func(i int) {
				b := backends[i]
				b.signal()
				time.Sleep(endpointLag)
				loadNftBalancer(t, f, othersThan(i, len(backends))...)
				b.waitExit(t)
				b.start(t)
				loadNftBalancer(t, f)
			})
			stopAll(t, backends)
			checkRestarts(t, shortRun, v.wantLoss, res, began)
		})
	}
}

// othersThan is every host index below n but i.
func othersThan(i, n int) []int {
	var out []int
	for k := range n {
		if k != i {
			out = append(out, k)
		}
	}
	return out
}
