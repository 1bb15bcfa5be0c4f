package main

import (
	"github.com/echo-activation/echo-server/engine"
	"github.com/echo-activation/echo-server/engine/metrics"
)

// splitMetrics separates the sockets named "metrics" (inherited with
// FileDescriptorName=metrics, or --metrics-listen), which serve metrics and
// health, from the sockets to echo on.
func splitMetrics(sockets []engine.Socket) (echo, obs []engine.Socket) {
	for _, s := range sockets {
		if s.Name == metrics.SocketName {
			obs = append(obs, s)
		} else {
			echo = append(echo, s)
		}
	}
	return echo, obs
}

// startMetrics serves metrics and health on every metrics socket, logging
// a "serving" line for each, and returns the server and the sockets it
// serves. A metrics socket that is not a listening stream socket is logged
// and closed, never echoed on.
func startMetrics(socks []engine.Socket, src metrics.Source, health *metrics.Health, life lifecycle) (*metrics.Server, []engine.Socket) {
	var served []engine.Socket
	ms := metrics.New(src, health, metrics.Options{Version: buildVersion(), Logger: life.Logger})
	for _, s := range socks {
		ln, err := metrics.Listener(s)
		if err != nil { // Listener has closed s.FD
			life.Error("socket not served", "name", s.Name, "err", err)
			continue
		}
		ms.Serve(ln)
		served = append(served, s)
		life.log("serving", "name", s.Name, "network", s.Network(), "addr", s.Addr, "try", curlCommand(s))
	}
	return ms, served
}

// curlCommand is a curl line that reads the metrics socket s.
func curlCommand(s engine.Socket) string {
	if s.Network() == "unix" {
		return "curl -s --unix-socket " + s.Addr + " http://metrics/metrics"
	}
	return "curl -s http://" + loopbackFor(s.Addr) + "/metrics"
}
