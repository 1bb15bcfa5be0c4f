// Command gnetnative is the reference peer: a gnet v2 echo that binds its
// own listener, one event loop (or -loops N), echoing in OnTraffic without
// a copy. For UDP, gnet binds one SO_REUSEPORT socket per loop.
//
//	gnetnative -net tcp|udp|unix -addr ADDR [-loops N]
package main

import (
	"context"
	"log"
	"os"

	"github.com/panjf2000/gnet/v2"

	"github.com/echo-activation/echo-server/bench/internal/peerflag"
)

type echo struct {
	gnet.BuiltinEventEngine
	eng gnet.Engine
}

func (e *echo) OnBoot(eng gnet.Engine) gnet.Action {
	e.eng = eng
	peerflag.OnTerm(func() { _ = e.eng.Stop(context.Background()) })
	return gnet.None
}

func (e *echo) OnTraffic(c gnet.Conn) gnet.Action {
	buf, _ := c.Next(-1)
	_, _ = c.Write(buf)
	return gnet.None
}

func main() {
	network, addr := peerflag.Parse("gnetnative")
	if network == "unixgram" {
		log.Fatal("gnetnative: gnet has no unixgram listener")
	}
	err := gnet.Run(&echo{}, network+"://"+addr, gnet.WithMulticore(true), gnet.WithNumEventLoop(peerflag.Loops()))
	if network == "unix" {
		_ = os.Remove(addr)
	}
	if err != nil {
		log.Fatalf("gnetnative: %v", err)
	}
}
