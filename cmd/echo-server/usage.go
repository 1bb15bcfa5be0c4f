package main

import (
	"fmt"
	"io"
	"strings"
)

// The prose of --help and of the man page (man.go), written once here.

const summary = "a socket-activated echo server (RFC 862)"

const description = "echo-server echoes every byte that arrives back to where it came from, " +
	"on every socket systemd passes it (socket activation: LISTEN_FDS), or on the sockets " +
	"--listen names. It serves TCP (MPTCP too) and UDP over IPv4 and IPv6, unix stream, " +
	"datagram and seqpacket sockets (paths and abstract names) and vsock stream sockets, and " +
	"needs no network of its own."

var examples = []string{
	"systemd-socket-activate -l 127.0.0.1:3000 echo-server    (or a systemd .socket unit)",
	"echo-server --listen tcp://localhost:3000 --listen unix:///run/echo.sock",
	"echo-server probe tcp://127.0.0.1:3000    (health check: send, compare the echo, exit 0 or 1; probe --help)",
}

// term is a definition list entry: a term and what it means.
type term struct{ name, text string }

var listenForms = []term{
	{"tcp://HOST:PORT", "TCP. HOST is an IP address, [IPv6], or a name, resolved at start " +
		"(localhost without a lookup; the first address, IPv4 first). An empty HOST or [::] " +
		"makes one dual-stack IPv6 socket (IPV6_V6ONLY off) that IPv4 clients reach too."},
	{"tcp4://HOST:PORT, tcp6://HOST:PORT", "IPv4 only; IPv6 only."},
	{"udp://HOST:PORT, udp4://..., udp6://...", "The same for UDP."},
	{"mptcp://HOST:PORT, mptcp4://..., mptcp6://...", "The same for Multipath TCP " +
		"(IPPROTO_MPTCP; plain TCP clients are served too). Exit 1 where the kernel has no " +
		"MPTCP (net.mptcp.enabled=0)."},
	{"unix:///PATH, unix://@NAME", "A unix stream socket at PATH (at most 107 bytes) or at the " +
		"abstract NAME. A socket file at PATH whose server is gone is replaced; one where a " +
		"server answers is refused (exit 1). The files it creates are removed on exit."},
	{"unixgram:///PATH, unixgram://@NAME", "A unix datagram socket; the echo goes to the " +
		"client's bound address, so the client must bind one."},
	{"unixpacket:///PATH, unixpacket://@NAME", "A unix SOCK_SEQPACKET socket: each record " +
		"goes back as one record, up to 256 KiB; a longer one closes the connection."},
	{"vsock://CID:PORT", "A vsock stream socket; CID any (or -1) for VMADDR_CID_ANY."},
}

var signalTerms = []term{
	{"SIGTERM, SIGINT", "Stop accepting (the listening sockets stay open, so the kernel keeps " +
		"queueing for the next start), let open connections echo until they close or " +
		"--drain-timeout ends, exit 0. A second one exits 1 at once."},
	{"SIGUSR1", "Log the counters of every socket."},
}

var exitTerms = []term{
	{"0", "A clean stop, or the last connection of an Accept=yes start closed."},
	{"1", "Nothing could be served, or a failure at run time (an address in use, " +
		"a name that does not resolve, a second SIGTERM)."},
	{"2", "A bad flag or value, or a malformed activation environment."},
}

var envTerms = []term{
	{"LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES", "The sockets systemd passes (sd_listen_fds(3)). " +
		"A stream socket named metrics serves Prometheus metrics over HTTP instead of echoing."},
	{"NOTIFY_SOCKET, WATCHDOG_USEC", "sd_notify(3): READY=1 once serving, STATUS= every 5 s, " +
		"WATCHDOG=1 at half of WATCHDOG_USEC, STOPPING=1."},
	{"JOURNAL_STREAM", "When it names stderr (systemd's StandardError=journal), --log-format " +
		"auto writes journal lines: a <N> priority prefix and no timestamp."},
}

// helpWidth is where --help wraps its lines.
const helpWidth = 100

// writeHelp prints --help: each flag once, --long with its -short alias.
func writeHelp(w io.Writer, specs []flagSpec) {
	fmt.Fprintf(w, "Usage: echo-server [OPTION]...\necho-server: %s.\n\n%s\n\n", summary, wrap(description, helpWidth, 0))
	for _, ex := range examples {
		fmt.Fprintf(w, "  %s\n", ex)
	}
	fmt.Fprintln(w, "\nOptions:")
	for _, s := range specs {
		if !s.hidden {
			writeTerm(w, term{optionName(s, "-", "--", " "), s.help + defaultNote(s)}, 26)
		}
	}
	writeSection(w, "--listen URLs:", listenForms, 40)
	writeSection(w, "Signals:", signalTerms, 20)
	writeSection(w, "Exit status:", exitTerms, 6)
	fmt.Fprintln(w, "\nThe manual page echo-server(8) has the rest.")
}

func writeSection(w io.Writer, title string, terms []term, col int) {
	fmt.Fprintf(w, "\n%s\n", title)
	for _, t := range terms {
		writeTerm(w, t, col)
	}
}

// writeTerm prints "  name   text" with text wrapped at column col, or on
// the next line when the name is too long.
func writeTerm(w io.Writer, t term, col int) {
	line := "  " + t.name
	if len(line) >= col-1 {
		fmt.Fprintln(w, line)
		line = ""
	}
	fmt.Fprintf(w, "%-*s%s\n", col, line, wrap(t.text, helpWidth-col, col))
}

// optionName is "-d, --debug" or "    --loops N", with the given dashes.
func optionName(s flagSpec, dash, dashes, sep string) string {
	name := dashes + s.long
	if s.arg != "" {
		name += sep + s.arg
	}
	if s.short == "" {
		return strings.Repeat(" ", len(dash)+3) + name
	}
	return dash + s.short + ", " + name
}

// defaultNote is " (default X)" unless the default is zero or off.
func defaultNote(s flagSpec) string {
	switch d := s.value.String(); d {
	case "", "0", "0s", "false":
		return ""
	default:
		return " (default " + d + ")"
	}
}

// wrap breaks text into lines of at most width, indenting every line after
// the first by indent spaces.
func wrap(text string, width, indent int) string {
	var b strings.Builder
	n := 0
	for i, word := range strings.Fields(text) {
		switch {
		case i == 0:
		case n+1+len(word) > width:
			b.WriteString("\n" + strings.Repeat(" ", indent))
			n = 0
		default:
			b.WriteByte(' ')
			n++
		}
		b.WriteString(word)
		n += len(word)
	}
	return b.String()
}
