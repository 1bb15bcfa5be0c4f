package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/echo-activation/echo-server/bench/internal/host"
)

// tableHead is the header of the table whose rows measure returns.
const tableHead = "| server | starts | exec to READY=1 | exec to the first client's echo |\n|---|---:|---:|---:|\n"

// startRecord is what the markdown record holds.
type startRecord struct {
	options
	before, after host.Load
	rows          []string
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
		"with a TCP client that connected before the exec. Times in ms from exec: median (min..max) of the starts.\n\n")
	b.WriteString(tableHead + strings.Join(r.rows, ""))
	return b.String()
}
