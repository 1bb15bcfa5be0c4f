// Package sourcelimit keeps one source from taking the whole server: it
// caps the stream connections open at once from one source and the rate at
// which one source opens new ones, and says when a refusal may be logged,
// at most once per source per interval.
//
// A source is an address prefix: an IPv4 /32 and an IPv6 /64 by default
// (Config.IPv4Prefix, Config.IPv6Prefix). An IPv4-mapped IPv6 address
// (::ffff:a.b.c.d, what a dual-stack socket reports for an IPv4 client)
// is the IPv4 address it maps. A /64 is the smallest prefix an IPv6 site is
// given, so a host can pick any address inside its /64: counting finer
// would let one host pose as 2^64 sources.
//
// The connection cap applies to loopback sources too (a local process can
// hold the server as well as a remote one); the rate does not, so that
// local benchmarks are not throttled (only a process on this host can send
// from 127.0.0.0/8 or ::1: the kernel drops such sources from any other
// interface).
//
// # Concurrency and cost
//
// Acquire, Release and ShouldLog are safe to call from any goroutine, as
// gnet's event loops do at connection open and close. The table is split
// into 64 shards, each behind its own mutex and picked by a keyed hash of
// the source, so loops rarely meet on a lock. A call hashes the key, locks
// one shard and scans one 16-slot window (512 bytes, contiguous) of it; it
// never allocates.
//
// # Fixed memory
//
// The table is allocated once, at New: Config.Entries slots of 32 bytes
// (rounded up to a power of two per shard), [DefaultEntries] by default,
// which is 2 MiB; [Limiter.Bytes] states the exact bound. A source may sit
// in any slot of the 16-slot window its hash picks. A new source takes a
// slot that holds no state worth keeping (no open connection, a full rate
// bucket, no log line within the interval); failing that, the slot of an
// idle source (no open connection) whose bucket is nearest full, which
// then forgets that it spent part of its rate; failing that, when every
// slot of its window holds a source with open connections, the new source
// is refused with [TableFull]. So the concurrent cap is exact for every
// source the table admits, a flood of distinct sources can weaken only the
// rate limit, and a flood can never evict a source that holds connections
// (which would reset its count). Refusing is the safe default for a public
// address: the alternative, admitting untracked sources, would let anyone
// with enough addresses (an IPv6 /48 is 65536 sources) escape the cap.
// Random sources fill windows unevenly: with one connection per source
// the first refusal came at 51% occupancy of the smallest table (1024
// slots), 40% of the default 65536 and 36% of 2^20, so size Entries at
// about three times the number of sources expected to hold connections at
// once.
//
// Time is injected: every call that needs it takes now, in nanoseconds on
// a clock that does not go backwards, at or after 0.
package sourcelimit
