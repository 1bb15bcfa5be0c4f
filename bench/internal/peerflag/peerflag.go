// Package peerflag is the command line every Go peer server shares:
// -net tcp|udp|unix|unixgram -addr ADDR [-loops N], plus SIGTERM handling.
package peerflag

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// loops is -loops, for the peers that have event loops (gnetnative).
var loops = 1

// Loops returns -loops (default 1), after Parse.
func Loops() int { return loops }

// Parse reads -net, -addr and -loops and exits with usage on a bad value.
func Parse(name string) (network, addr string) {
	fs := flag.NewFlagSet(name, flag.ExitOnError)
	fs.IntVar(&loops, "loops", 1, "event loops, where the peer has them (gnetnative)")
	fs.StringVar(&network, "net", "tcp", "tcp, udp, unix or unixgram")
	fs.StringVar(&addr, "addr", "127.0.0.1:0", "host:port or unix socket path")
	_ = fs.Parse(os.Args[1:])
	switch network {
	case "tcp", "udp", "unix", "unixgram":
		return network, addr
	}
	fmt.Fprintf(os.Stderr, "%s: unknown -net %q\n", name, network)
	os.Exit(2)
	return "", ""
}

// OnTerm calls stop once on SIGTERM or SIGINT.
func OnTerm(stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-ch
		stop()
	}()
}
