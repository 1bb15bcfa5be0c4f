//go:build !race

package sourcelimit

// rssPerByte is how much RSS one byte of heap costs (see race_test.go).
const rssPerByte = 1
