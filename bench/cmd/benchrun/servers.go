package main

import (
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
)

// server is one echo server under test: how to start it, by itself, on
// one listener of the given network and address.
type server struct {
	Name string
	nets string // networks it serves, space separated
	argv func(bins, network, addr string) []string
}

func (s server) serves(network string) bool {
	return strings.Contains(" "+s.nets+" ", " "+network+" ")
}

// controlName is the second copy of gnet-native.
const controlName = "gnet-native-2"

// baseName is the project's A/B baseline (-baseline): another build, or the
// same build with other flags (-baseline-args), run as a server of its own
// in the shuffled order and paired with the project per repetition.
const baseName = "echo-server-base"

// baseline is the A/B baseline's binary and extra flags; a zero path means none.
type baseline struct {
	path string
	args []string
}

// servers lists every server; project is the one under test, started the
// way it is deployed.
func servers(project string, base baseline) []server {
	peer := func(name string) func(string, string, string) []string {
		return func(bins, network, addr string) []string {
			return []string{filepath.Join(bins, name), "-net", network, "-addr", addr}
		}
	}
	ss := []server{
		{Name: "echo-server", nets: "tcp udp unix unixgram", argv: activated(project, nil)},
		{Name: "gnet-native", nets: "tcp udp unix", argv: peer("gnetnative")},
		// The same server again, the A/A control: how far two identical
		// servers drift apart on this machine (see report/paired.go).
		{Name: controlName, nets: "tcp udp unix", argv: peer("gnetnative")},
		{Name: "c", nets: "tcp udp unix unixgram", argv: func(bins, network, addr string) []string {
			prog := "epoll_echo"
			if network == "udp" || network == "unixgram" {
				prog = "mmsg_echo"
			}
			return []string{filepath.Join(bins, prog), network, addr}
		}},
		{Name: "stdlib", nets: "tcp udp unix unixgram", argv: peer("stdlib")},
		{Name: "nbio", nets: "tcp udp unix", argv: peer("nbio")},
	}
	if base.path != "" {
		ss = append(ss, server{Name: baseName, nets: "tcp udp unix unixgram", argv: activated(base.path, base.args)})
	}
	return ss
}

// activated starts bin as it is deployed: under systemd-socket-activate,
// one loop, GOMAXPROCS=1, with extra flags after those.
func activated(bin string, extra []string) func(string, string, string) []string {
	return func(_, network, addr string) []string {
		a := []string{"systemd-socket-activate", "-E", "GOMAXPROCS=1"}
		if network == "udp" || network == "unixgram" {
			a = append(a, "--datagram")
		}
		a = append(a, "-l", addr, bin, "--loops", "1")
		return append(a, extra...)
	}
}

// pick keeps the servers named in a comma-separated list (all if empty).
func pick(all []server, names string) []server {
	if names == "" {
		return all
	}
	var out []server
	for _, s := range all {
		if strings.Contains(","+names+",", ","+s.Name+",") {
			out = append(out, s)
		}
	}
	return out
}

// order returns the servers of one repetition of one cell in a shuffled
// order, the same for the same (seed, rep, cell). Each run of the bench
// takes a new seed (and records it), so two runs are independent samples.
// A plain rotation would keep the cyclic order, so each server would always
// follow the same one (and the A/A control would always run right after
// gnet-native): whatever a server leaves behind in the kernel, or a drift
// in the machine's load, would then bias one server's numbers the same way
// in every repetition.
func order(ss []server, seed uint64, rep, cell int) []server {
	out := slices.Clone(ss)
	rand.New(rand.NewPCG(seed, uint64(rep)<<32|uint64(cell))).Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}
