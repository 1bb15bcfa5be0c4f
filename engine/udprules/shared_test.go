package udprules

import (
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// TestGuardShared: loops that share a guard (run under -race) get one
// limit between them, not one each: an echo loop's payload is answered
// LoopLimit times in all, one address's burst is spent once, and the
// overflow bucket, spent with compare-and-swap, is one bucket too.
func TestGuardShared(t *testing.T) {
	for _, tc := range []struct {
		name     string
		cfg      Config
		loops    int
		each     int                                // datagrams per loop
		datagram func(loop, i int) (string, uint32) // source and payload
		answered int64
	}{
		{
			name: "echo loop on 2 loops", cfg: Config{}, loops: 2, each: 50,
			datagram: func(int, int) (string, uint32) { return "127.0.0.1:5000", 7 },
			answered: DefaultLoopLimit,
		},
		{
			name: "echo loop on 8 loops", cfg: Config{LoopLimit: 100}, loops: 8, each: 200,
			datagram: func(int, int) (string, uint32) { return "[2001:db8::1]:5000", 7 },
			answered: 100,
		},
		{
			name: "reply budget on 2 loops", cfg: Config{ReplyBudget: 1, ReplyBurst: 1000}, loops: 2, each: 5000,
			datagram: func(loop, i int) (string, uint32) {
				return fmt.Sprintf("192.0.2.1:%d", 30000+i%1000), uint32(loop<<20 | i)
			},
			answered: 1000,
		},
		{
			name: "reply budget on 8 loops", cfg: Config{ReplyBudget: 1, ReplyBurst: 3000}, loops: 8, each: 2000,
			datagram: func(loop, i int) (string, uint32) { return "[2001:db8::2]:40000", uint32(loop<<20 | i) },
			answered: 3000,
		},
		{
			name: "distinct clients on 4 loops", cfg: Config{}, loops: 4, each: 500,
			datagram: func(loop, i int) (string, uint32) {
				return fmt.Sprintf("10.1.%d.%d:40000", loop, i%250), uint32(loop<<20 | i)
			},
			answered: 4 * 500,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := runShared(New(tc.cfg), tc.loops, tc.each, tc.datagram); got != tc.answered {
				t.Fatalf("%d answered of %d, want %d", got, tc.loops*tc.each, tc.answered)
			}
		})
	}
}

// TestOverflowShared: addresses that find their set held share the
// overflow bucket; spent from 8 goroutines it grants its burst once.
func TestOverflowShared(t *testing.T) {
	b := newBudgetTable(1, 500)
	set := uint64(7) << 52
	spend(b, set|1, 0, 1)
	spend(b, set|2, 0, 1) // the set's two entries are held
	var ok atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				if b.allow(set|uint64(3+g*1000+i), 0) {
					ok.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if ok.Load() != 500 {
		t.Fatalf("the overflow bucket granted %d of 1600, want its burst of 500", ok.Load())
	}
}

// runShared runs loops goroutines that each judge each datagrams, all at
// one time, and returns how many were answered.
func runShared(g *Guard, loops, each int, datagram func(loop, i int) (string, uint32)) int64 {
	var answered atomic.Int64
	var wg sync.WaitGroup
	now := g.Now()
	start := make(chan struct{})
	for loop := range loops {
		wg.Go(func() {
			payload := make([]byte, 4)
			<-start
			for i := range each {
				src, p := datagram(loop, i)
				_, sa := senderSockaddr(src)
				binary.BigEndian.PutUint32(payload, p)
				if g.Check(sa, payload, now) == Answered {
					answered.Add(1)
				}
			}
		})
	}
	close(start)
	wg.Wait()
	return answered.Load()
}
