package main

import (
	"fmt"

	"github.com/echo-activation/echo-server/bench/internal/loadgen"
)

// cell is one workload of the matrix.
type cell struct {
	Mode    loadgen.Mode
	Network string // tcp, udp, unix, unixgram
	Conns   int
	Len     int
}

func (c cell) String() string {
	return fmt.Sprintf("%s %s n=%d l=%d", c.Mode, c.Network, c.Conns, c.Len)
}

// fullMatrix is the matrix: pingpong N=1/50/1000 x L=64/4096 and
// N=1000 L=512, flood N=50 L=4096, connrate C=1/50/1000 (1000: a storm of
// clients connecting at once), udp N=50 L=64/1024,
// unix stream pingpong and unix datagram.
func fullMatrix() []cell {
	var cs []cell
	for _, n := range []int{1, 50, 1000} {
		for _, l := range []int{64, 4096} {
			cs = append(cs, cell{loadgen.PingPong, "tcp", n, l})
		}
	}
	return append(cs,
		cell{loadgen.PingPong, "tcp", 1000, 512},
		cell{loadgen.Flood, "tcp", 50, 4096},
		cell{loadgen.ConnRate, "tcp", 1, 64},
		cell{loadgen.ConnRate, "tcp", 50, 64},
		cell{loadgen.ConnRate, "tcp", 1000, 64},
		cell{loadgen.Dgram, "udp", 50, 64},
		cell{loadgen.Dgram, "udp", 50, 1024},
		cell{loadgen.PingPong, "unix", 50, 64},
		cell{loadgen.Dgram, "unixgram", 50, 64},
	)
}

// quickMatrix is the smoke subset: one cell per mode and network.
func quickMatrix() []cell {
	return []cell{
		{loadgen.PingPong, "tcp", 50, 64},
		{loadgen.Flood, "tcp", 50, 4096},
		{loadgen.ConnRate, "tcp", 50, 64},
		{loadgen.Dgram, "udp", 50, 64},
		{loadgen.PingPong, "unix", 50, 64},
		{loadgen.Dgram, "unixgram", 50, 64},
	}
}

// abMatrix is what an A/B of two builds of the project is judged on:
// pingpong at 1 and 50 connections, flood, connrate C=1 and C=50, UDP, and
// the two unix cells.
func abMatrix() []cell {
	return []cell{
		{loadgen.PingPong, "tcp", 1, 64},
		{loadgen.PingPong, "tcp", 50, 64},
		{loadgen.Flood, "tcp", 50, 4096},
		{loadgen.ConnRate, "tcp", 1, 64},
		{loadgen.ConnRate, "tcp", 50, 64},
		{loadgen.Dgram, "udp", 50, 64},
		{loadgen.PingPong, "unix", 50, 64},
		{loadgen.Dgram, "unixgram", 50, 64},
	}
}
