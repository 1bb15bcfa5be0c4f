package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/echo-activation/echo-server/bench/internal/host"
)

// floorName is the row of the server's imports with an empty main.
const floorName = "floor: the server's imports, empty main"

// tableHead is the header of the table of subject rows.
const tableHead = "| program | starts | exec to READY=1 | exec to the first client's echo | exec to exit |\n|---|---:|---:|---:|---:|\n"

// startRecord is what the markdown record holds.
type startRecord struct {
	options
	before, after host.Load
	subjects      []*subject
}

// table is the rows and, under them, each project row against the
// hello-world (the goal: READY=1 within 1.5x its exec to exit) and
// gnet-native (first echo against first echo).
func (r *startRecord) table() string {
	var b strings.Builder
	b.WriteString(tableHead)
	for _, s := range r.subjects {
		b.WriteString(s.row())
	}
	hello, floor, peer := r.find("hello-world (Go)"), r.find(floorName), r.find("gnet-native")
	helloExit := hello.median(func(x sample) time.Duration { return x.exit })
	peerEcho := peer.median(func(x sample) time.Duration { return x.echo })
	b.WriteString("\n")
	fmt.Fprintf(&b, "- %s: exit at %s the hello-world's (no server can start below it)\n", floor.name,
		ratio(floor.median(func(x sample) time.Duration { return x.exit }), helloExit))
	for _, s := range r.subjects {
		if s == hello || s == floor || s == peer {
			continue
		}
		fmt.Fprintf(&b, "- %s: READY=1 at %s the hello-world's exit; first echo at %s gnet-native's\n", s.name,
			ratio(s.median(func(x sample) time.Duration { return x.ready }), helloExit),
			ratio(s.median(func(x sample) time.Duration { return x.echo }), peerEcho))
	}
	return b.String()
}

func (r *startRecord) find(name string) *subject {
	for _, s := range r.subjects {
		if s.name == name {
			return s
		}
	}
	return &subject{name: name}
}

func ratio(a, b time.Duration) string {
	if a == notMeasured || b == notMeasured || b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2fx", float64(a)/float64(b))
}

func (r *startRecord) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Cold start with six inherited sockets, %s on %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"), host.Name())
	fmt.Fprintf(&b, "- Command: `%s`\n- Machine: %s\n", r.command, host.Describe())
	fmt.Fprintf(&b, "- Load: 1-minute load average %.2f before, %.2f after, on %d CPUs; the runs use up to %d (the server's loops and this harness, unpinned)\n",
		r.before.Avg1, r.after.Avg1, r.before.CPUs, r.usedCPUs())
	if w := r.before.Warning(r.usedCPUs(), 0); w != "" {
		fmt.Fprintf(&b, "- **Warning: %s.**\n", w)
	}
	b.WriteString("- Method: the server is started the way systemd starts it (fds 3..8: tcp4, tcp6, udp4, udp6, unix stream, " +
		"unix datagram; LISTEN_FDS, LISTEN_FDNAMES, LISTEN_PID; as PID 1 of a new PID namespace so that no shell runs in between), " +
		"with a TCP client that connected before the exec. The references start the same way, in turn with it, start by start: " +
		"a hello-world Go binary (exec to exit); the floor, a program that imports every package the server's main package " +
		"imports and whose main returns at once (exec to exit: the runtime and every package init of the server's binary); " +
		"and gnet-native binding its own listener (exec to the first echo of a client " +
		"that connects as soon as the port answers, polled every 100 µs), all built by the tool with `CGO_ENABLED=0 go build " +
		"-trimpath -ldflags=-s -w`, as `make build` builds the project. Times in ms from exec: median (min..max) of the starts.\n\n")
	b.WriteString(r.table())
	return b.String()
}
