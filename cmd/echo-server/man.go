package main

import (
	"fmt"
	"io"
	"strings"
)

// writeMan prints the man page echo-server(8) in troff (man macros), from
// the same flag specs and prose as --help; `make install` installs it.
func writeMan(w io.Writer, specs []flagSpec) {
	fmt.Fprintf(w, ".TH ECHO-SERVER 8 \"\" \"echo-server %s\" \"System Administration\"\n", roff(buildVersion()))
	fmt.Fprintf(w, ".SH NAME\necho-server \\- %s\n", roff(summary))
	fmt.Fprint(w, ".SH SYNOPSIS\n.B echo-server\n[\\fIOPTION\\fR]...\n")
	fmt.Fprintf(w, ".SH DESCRIPTION\n%s\n", roff(description))
	fmt.Fprintln(w, ".SH OPTIONS")
	for _, s := range specs {
		if !s.hidden {
			fmt.Fprintf(w, ".TP\n%s\n%s\n", manOption(s), roff(s.help+defaultNote(s)))
		}
	}
	manSection(w, "LISTEN URLS", listenForms)
	manSection(w, "SIGNALS", signalTerms)
	manSection(w, "ENVIRONMENT", envTerms)
	manSection(w, "EXIT STATUS", exitTerms)
	fmt.Fprintln(w, ".SH EXAMPLES")
	for _, ex := range examples {
		fmt.Fprintf(w, ".PP\n.nf\n%s\n.fi\n", roff(ex))
	}
	fmt.Fprint(w, ".SH \"SEE ALSO\"\n.BR systemd.socket (5),\n.BR systemd-socket-activate (1),\n"+
		".BR sd_listen_fds (3),\n.BR sd_notify (3),\n.BR socat (1)\n")
}

func manSection(w io.Writer, title string, terms []term) {
	fmt.Fprintf(w, ".SH \"%s\"\n", title)
	for _, t := range terms {
		fmt.Fprintf(w, ".TP\n.B %s\n%s\n", roff(t.name), roff(t.text))
	}
}

// manOption is the bold option names and the italic argument of a flag.
func manOption(s flagSpec) string {
	name := strings.TrimSpace(optionName(s, "\\-", "\\-\\-", ""))
	if s.arg != "" {
		name = strings.TrimSuffix(name, s.arg) + " \\fI" + s.arg + "\\fR"
	}
	return "\\fB" + name + "\\fR"
}

// roff escapes text for troff: backslashes, hyphens that are minus signs
// in options, and a leading dot or quote that would start a request.
func roff(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "--", `\-\-`)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}
