//go:build linux

package engine

// Backpressure: the server reads a connection's next bytes only once the
// kernel has taken every byte the server owes it. gnet v2.9.7 has no public
// call to stop reading a connection, so pause does it on gnet's own epoll
// instance (gnetPrivate.pauseReading): after an echo that the socket could
// not take whole, the connection's interest becomes EPOLLOUT only. gnet then
// writes the rest when the client reads, and re-arms EPOLLIN itself
// (Poller.ModRead) once its outbound buffer is empty. So:
//   - unsent bytes per connection never exceed one read (the read buffer), so
//     a client that never reads cannot grow the server's memory;
//   - a client that half-closes gets every byte before EOF: gnet reads the
//     EOF (and closes) only when nothing is left to send.
//
// Without the private access (gnetprivate.go: another gnet version, or a
// field that moved), the handler falls back to closing a connection whose
// unsent bytes pass fallbackMaxUnsent: memory stays bounded, but a client
// that reads its echo only after sending more than that loses it.

// fallbackMaxUnsent bounds unsent bytes when pausing is impossible.
const fallbackMaxUnsent = 4 << 20
