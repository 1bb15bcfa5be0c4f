//go:build linux

// Package engine serves an RFC 862 echo on every socket it is given: sockets
// inherited through systemd socket activation (sd_listen_fds(3)) or created by
// the caller from --listen URLs.
//
// The data path runs in one direction:
//
//	LISTEN_FDS (package activation) / --listen (package listen) -> fds -> Classify -> Adopt (F_DUPFD_CLOEXEC + O_NONBLOCK; the original is closed)
//	  -> stream listeners: in every gnet event loop's epoll; the loop accepts and opens inline
//	       (fds low, or no private access: accept4 in Go -> enroller pool -> Client.EnrollContext)
//	  -> connected streams (Accept=yes): enrolled in gnet directly
//	  -> gnet event loops: OnTraffic echoes zero-copy; backpressure pauses reading
//	  -> datagram sockets: a recvmmsg/sendmmsg loop whose receive buffers are the reply buffers;
//	       package udprules decides which datagrams of a UDP socket go unanswered
//	  -> vsock listeners: accepted and echoed in goroutines (gnet cannot adopt vsock)
//	  -> unix seqpacket listeners: the same, one recvmsg and one send per record (seqpacket.go)
//
// The socket named "metrics" never reaches the engine: the command hands it
// to package metrics (Prometheus text, /livez, /readyz over HTTP), which
// reads the engine's counters (Server.Stats) when scraped.
//
// Every fd has one owner and one live number. AdoptAll owns what it is
// given: it closes each fd it skips and gives each one it adopts to its
// Socket; New takes every Socket's fd, and the Server accepts on it or
// reads from it directly and closes it when it stops serving it
// (StopAccepting, Shutdown, a failed Start). The metrics socket goes to
// metrics.Listener instead, which owns it from then on. Where the service
// manager keeps its own copy of a socket, the kernel goes on queueing
// connections while the server drains or restarts; where nothing does,
// they are refused. Every reach into gnet's private state is in
// gnetprivate.go.
package engine
