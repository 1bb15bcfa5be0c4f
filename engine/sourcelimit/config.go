package sourcelimit

import (
	"fmt"
	"math"
	"time"
)

// Config sets the limits. The zero value limits nothing; zero prefixes,
// Entries and LogInterval take their defaults.
type Config struct {
	// PerSource is the most connections open at once from one source;
	// 0 turns the cap off.
	PerSource int
	// Rate is how many new connections per second one non-loopback source
	// may open after Burst; 0 turns the rate limit off.
	Rate float64
	// Burst is how many connections a source may open at once before Rate
	// applies; at least 1 when Rate is set.
	Burst int
	// IPv4Prefix (1 to 32, default 32) and IPv6Prefix (1 to 64, default
	// 64) are the prefix lengths that make one source.
	IPv4Prefix, IPv6Prefix int
	// Entries is the table's size in sources (default DefaultEntries, at
	// most MaxEntries); it is rounded up to a power of two per shard.
	Entries int
	// LogInterval is how often ShouldLog says yes for one source (default
	// DefaultLogInterval).
	LogInterval time.Duration
}

// DefaultPerSource is the default cap: a quarter of --max-conns, or of the
// fd limit when --max-conns is 0 (no cap of its own), and at least 1. A
// quarter means no single address can hold the whole server, while one
// address shared by many clients (a NAT, a carrier-grade NAT, an office)
// still gets a large share.
func DefaultPerSource(maxConns, fdLimit int) int {
	n := maxConns
	if n <= 0 {
		n = fdLimit
	}
	return max(n/4, 1)
}

// DefaultRate and DefaultBurst are the default new-connection rate per
// source and its burst. Accepting a connection costs the server some tens
// of microseconds of one core, so 1000 a second from one source is a few
// percent of a core: one source cannot starve the others of accepts. The
// burst of 2000 lets a client open a pool of a thousand or so connections
// at start without a refusal.
const (
	DefaultRate  = 1000
	DefaultBurst = 2000
)

// DefaultEntries is the default table size: 65536 sources, 2 MiB. Its
// first table_full refusal takes about 26000 distinct sources holding
// connections at once (see the package documentation).
const DefaultEntries = 1 << 16

// MaxEntries bounds Config.Entries (512 MiB of table).
const MaxEntries = 1 << 24

// DefaultLogInterval matches the engine's other rate-limited warnings.
const DefaultLogInterval = 5 * time.Second

// withDefaults returns c with its zero fields defaulted, or why c is
// invalid.
func (c Config) withDefaults() (Config, error) {
	c.IPv4Prefix = orDefault(c.IPv4Prefix, 32)
	c.IPv6Prefix = orDefault(c.IPv6Prefix, 64)
	c.Entries = orDefault(c.Entries, DefaultEntries)
	if c.LogInterval == 0 {
		c.LogInterval = DefaultLogInterval
	}
	return c, c.check()
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func (c Config) check() error {
	switch {
	case c.PerSource < 0 || c.PerSource > math.MaxInt32:
		return fmt.Errorf("sourcelimit: per-source cap %d: not 0 to %d", c.PerSource, math.MaxInt32)
	case c.Rate < 0 || math.IsNaN(c.Rate) || c.Rate > 1e9:
		return fmt.Errorf("sourcelimit: rate %v: not 0 to 1e9 per second", c.Rate)
	case c.Rate > 0 && (c.Burst < 1 || c.Burst > 1e9):
		return fmt.Errorf("sourcelimit: burst %d: not 1 to 1e9", c.Burst)
	case c.IPv4Prefix < 1 || c.IPv4Prefix > 32:
		return fmt.Errorf("sourcelimit: IPv4 prefix /%d: not /1 to /32", c.IPv4Prefix)
	case c.IPv6Prefix < 1 || c.IPv6Prefix > 64:
		return fmt.Errorf("sourcelimit: IPv6 prefix /%d: not /1 to /64", c.IPv6Prefix)
	case c.Entries < 0 || c.Entries > MaxEntries:
		return fmt.Errorf("sourcelimit: table of %d entries: not 0 to %d", c.Entries, MaxEntries)
	case c.LogInterval < 0:
		return fmt.Errorf("sourcelimit: log interval %v: negative", c.LogInterval)
	}
	return nil
}
