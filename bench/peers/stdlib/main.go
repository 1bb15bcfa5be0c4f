// Command stdlib is the Go standard library echo peer: a goroutine per
// connection with io.Copy, or a ReadFrom/WriteTo loop for datagrams.
//
//	stdlib -net tcp|udp|unix|unixgram -addr ADDR
package main

import (
	"log"
	"net"
	"os"

	"github.com/echo-activation/echo-server/bench/internal/peerflag"
	"github.com/echo-activation/echo-server/bench/internal/stdecho"
)

func main() {
	network, addr := peerflag.Parse("stdlib")
	var err error
	switch network {
	case "tcp", "unix":
		var ln net.Listener
		if ln, err = net.Listen(network, addr); err == nil {
			peerflag.OnTerm(func() { _ = ln.Close() })
			err = stdecho.ServeStream(ln)
		}
	default:
		var pc net.PacketConn
		if pc, err = net.ListenPacket(network, addr); err == nil {
			peerflag.OnTerm(func() { _ = pc.Close() })
			err = stdecho.ServePacket(pc)
		}
	}
	if network == "unix" || network == "unixgram" {
		_ = os.Remove(addr)
	}
	if err != nil {
		log.Fatalf("stdlib: %v", err)
	}
}
