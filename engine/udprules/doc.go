// Package udprules decides which UDP datagrams an echo server must not
// answer (README "UDP abuse"): a source that is a service port or an address
// no reply may go to (source.go), the same payload coming back too often
// from one address and port, which is an echo loop (loop.go), and replies to
// one address beyond its budget, which is reflection (budget.go).
//
// It owns no socket and makes no system call: a Guard judges a source
// address, a payload and the time, in fixed memory (two tables of 192 KiB
// and 128 KiB per served address, and 16 KiB of locks each, allocated
// once) and without allocating, so every rule is table-tested without
// sockets. Every datagram loop of one address (several loops on one socket,
// or a reuseport group) asks the same Guard, concurrently, once per
// datagram, and counts and logs the refusals.
package udprules
