//go:build race

package sourcelimit

// rssPerByte is how much RSS one byte of heap costs: the race detector
// keeps shadow memory for each.
const rssPerByte = 4
