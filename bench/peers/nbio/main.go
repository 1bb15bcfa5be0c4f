// Command nbio is an echo peer on github.com/lesismal/nbio, another Go
// epoll event-loop library: one poller, echo in OnData.
//
//	nbio -net tcp|udp|unix -addr ADDR
package main

import (
	"log"
	"os"

	"github.com/lesismal/nbio"
	"github.com/lesismal/nbio/logging"

	"github.com/echo-activation/echo-server/bench/internal/peerflag"
)

func main() {
	network, addr := peerflag.Parse("nbio")
	if network == "unixgram" {
		log.Fatal("nbio: no unixgram listener")
	}
	logging.SetLevel(logging.LevelError)
	eng := nbio.NewEngine(nbio.Config{Network: network, Addrs: []string{addr}, NPoller: 1})
	eng.OnData(func(c *nbio.Conn, data []byte) { _, _ = c.Write(data) })
	if err := eng.Start(); err != nil {
		log.Fatalf("nbio: %v", err)
	}
	done := make(chan struct{})
	peerflag.OnTerm(func() { close(done) })
	<-done
	eng.Stop()
	if network == "unix" {
		_ = os.Remove(addr)
	}
}
