// Package loadgen drives an echo server over loopback TCP, UDP, unix stream
// and unix datagram sockets and checks every echoed byte.
//
// All sockets of a run are served by one goroutine locked to one OS thread
// around one level-triggered epoll set (edge-triggered for connrate), with
// raw non-blocking syscalls from golang.org/x/sys/unix: on a two-core box the
// generator shares the machine with the server, so it must be cheap.
//
// Payloads are windows of one fixed pseudo-random pattern (see pattern.go),
// so a stream's expected echo at byte position p is known without keeping a
// copy of what was sent, and writes need no copying.
package loadgen
