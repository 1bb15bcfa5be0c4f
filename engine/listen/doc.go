//go:build linux

// Package listen turns --listen URLs into sockets: ParseURL checks a URL
// (tcp, tcp4, tcp6, udp, udp4, udp6, mptcp, mptcp4, mptcp6, unix, unixgram,
// unixpacket, vsock), and
// Endpoint.Listen creates, binds and listens with x/sys, returning the fd as
// if a service manager had passed it (activation.InheritedFD), so it takes
// the same Classify/Adopt path as activation.
//
// It owns the unix socket files it creates: a stale file is replaced, a path
// where a server answers is refused (ErrSocketInUse), and SocketFile.Remove
// deletes only the file Listen made. The fd itself belongs to the caller.
package listen
