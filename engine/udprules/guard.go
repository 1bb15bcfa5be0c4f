package udprules

import (
	"hash/maphash"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Config is what a UDP socket refuses to answer (README "UDP
// abuse"): a source that is a service port or a bad address (always), the
// same payload coming back too often from one address and port (a loop),
// and replies to one address beyond its budget (reflection). The zero
// value is the defaults; a negative value turns its rule off. Loopback
// sources skip only the reply budget; unix datagram sockets are not
// guarded (a unix sender cannot claim another socket's address).
type Config struct {
	// LoopLimit is how often the same payload from the same address and
	// port is answered within LoopWindow (default 10).
	LoopLimit  int
	LoopWindow time.Duration // default 1s
	// ReplyBudget is how many replies per second one non-loopback address
	// gets, after a burst of ReplyBurst (defaults 1000 and 10000).
	ReplyBudget int
	ReplyBurst  int
}

// The defaults of Config.
const (
	DefaultLoopLimit   = 10
	DefaultLoopWindow  = time.Second
	DefaultReplyBudget = 1000
	DefaultReplyBurst  = 10000
)

// maxLoopLimit keeps the loop table's counts far from overflow.
const maxLoopLimit = 1 << 30

func (g Config) withDefaults() Config {
	g.LoopLimit = min(orDefault(g.LoopLimit, DefaultLoopLimit), maxLoopLimit)
	g.ReplyBudget = orDefault(g.ReplyBudget, DefaultReplyBudget)
	g.ReplyBurst = max(orDefault(g.ReplyBurst, DefaultReplyBurst), 1)
	if g.LoopWindow <= 0 {
		g.LoopWindow = DefaultLoopWindow
	}
	return g
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// Reason says why a datagram was not answered.
type Reason int

// The reasons, as in the refused counters and the metrics' reason label.
const (
	Answered       Reason = iota
	RefusedPort           // source port below 1024, or 2049
	RefusedAddress        // source 0.0.0.0/8, ::, multicast, 255.255.255.255
	RefusedLoop           // the same payload back from the same address and port too often
	RefusedBudget         // the address's reply budget is spent
	NumReasons            // the number of reasons, answered included
)

// Reasons lists every reason, for iterating counters.
var Reasons = []Reason{RefusedPort, RefusedAddress, RefusedLoop, RefusedBudget}

func (r Reason) String() string {
	return [...]string{"answered", "source_port", "source_address", "loop", "reply_budget", "?"}[min(uint(r), uint(NumReasons))]
}

// Guard applies the three rules to each datagram of one address. It is
// safe for concurrent use, and meant to be shared by every loop that
// serves the address (several loops on one socket, or a reuseport group):
// an echo loop whose datagrams land on two loops is counted once, and one
// address has one reply budget, whichever loop answers it.
type Guard struct {
	loops  *loopTable   // nil: loop rule off
	budget *budgetTable // nil: budget rule off
	seed   maphash.Seed // keys are unpredictable, so a flood cannot aim at one set
	epoch  time.Time
}

// New returns a guard with g's rules (zero fields take the defaults).
func New(g Config) *Guard {
	g = g.withDefaults()
	u := &Guard{seed: maphash.MakeSeed(), epoch: time.Now()}
	if g.LoopLimit > 0 {
		u.loops = newLoopTable(g.LoopLimit, int64(g.LoopWindow))
	}
	if g.ReplyBudget > 0 {
		u.budget = newBudgetTable(g.ReplyBudget, g.ReplyBurst)
	}
	return u
}

// Now reads the guard's clock (monotonic ns, no allocation): a loop reads
// it once per batch and judges the batch's datagrams at that time.
func (u *Guard) Now() int64 { return int64(time.Since(u.epoch)) }

// Check judges one datagram from sa carrying payload, arrived at now (a
// time Now returned).
func (u *Guard) Check(sa *unix.RawSockaddrAny, payload []byte, now int64) Reason {
	if r := sourceRule(sa); r != Answered {
		return r
	}
	addr, port := u.addrKey(sa)
	if u.loops != nil && u.loops.arrive(loopKey(u.seed, addr, port, payload), now) {
		return RefusedLoop
	}
	if u.budget != nil && !isLoopback(sa) && !u.budget.allow(addr, now) {
		return RefusedBudget
	}
	return Answered
}

// addrKey hashes the source address (not the port) with the guard's seed.
func (u *Guard) addrKey(sa *unix.RawSockaddrAny) (uint64, uint16) {
	if sa.Addr.Family == unix.AF_INET {
		a := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		return maphash.Bytes(u.seed, a.Addr[:]), a.Port
	}
	a := (*unix.RawSockaddrInet6)(unsafe.Pointer(sa))
	return maphash.Bytes(u.seed, a.Addr[:]), a.Port
}

// loopKey combines the address key, the port and the payload's hash; the
// multiplier (odd, 2^64/φ) spreads the port over all bits.
func loopKey(seed maphash.Seed, addr uint64, port uint16, payload []byte) uint64 {
	return payloadHash(seed, payload) ^ (addr+uint64(port))*0x9e3779b97f4a7c15
}

// loopSample bounds what the loop rule hashes of one payload: a payload of
// up to 2*loopSample bytes is hashed whole, a longer one by its length and
// its first and last loopSample bytes, so the rule costs about the same
// for every size (hashing whole 64 KiB payloads would cost more than the
// echo itself: bench/results/design-figures.md). A loop repeats the whole payload, so it is still seen; an honest
// client is taken for a loop only if it repeats one length, head and tail
// more than LoopLimit times a window from one port.
const loopSample = 128

func payloadHash(seed maphash.Seed, p []byte) uint64 {
	if len(p) <= 2*loopSample {
		return maphash.Bytes(seed, p)
	}
	head := maphash.Bytes(seed, p[:loopSample])
	tail := maphash.Bytes(seed, p[len(p)-loopSample:])
	return head ^ (tail+uint64(len(p)))*0xbf58476d1ce4e5b9
}
