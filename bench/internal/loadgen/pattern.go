package loadgen

// patPeriod is the period of the payload pattern: a prime, so windows
// taken at different connection offsets do not line up with message sizes.
const patPeriod = 65521

// maxChunk bounds one read or write: windows of up to this many bytes can be
// sliced from the pattern without wrapping.
const maxChunk = 256 << 10

// pattern is one period of pseudo-random bytes, repeated for maxChunk more
// bytes, so any window of up to maxChunk bytes starting at
// any position is one contiguous slice.
type pattern []byte

func newPattern() pattern {
	p := make(pattern, patPeriod+maxChunk)
	x := uint32(2463534242)
	for i := 0; i < patPeriod; i++ {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		p[i] = byte(x >> 24)
	}
	for i := patPeriod; i < len(p); i++ {
		p[i] = p[i-patPeriod]
	}
	return p
}

// at returns the n pattern bytes at stream position pos (n <= maxChunk).
func (p pattern) at(pos uint64, n int) []byte {
	o := int(pos % patPeriod)
	return p[o : o+n]
}
