package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/procstat"
)

// TestUDPReadersShareTheLoad: the built binary with --loops 2 reads its one
// inherited UDP socket on two threads named udp-reader-0 and udp-reader-1,
// and at a fixed offered load (8 clients, 40 000 datagrams a second in
// all, for 3 s) each carries a real share of the server's CPU time: at
// least 30% of it, read per thread from /proc/PID/task/*/stat. The rest is
// mostly the Go runtime's sysmon thread, which polls every 20 us while
// every P's thread is blocked in a system call (27% of the total at 48 000
// a second, 41% at 12 000: README "UDP on every core").
func TestUDPReadersShareTheLoad(t *testing.T) {
	udp := listenFamily(t, "udp4", "")
	p := startActivated(t, []*os.File{udp.File}, []string{"udp"}, "--loops", "2")
	p.WaitLog(t, "msg=serving", 1)
	pid := p.Cmd.Process.Pid
	readers := readerThreads(t, pid)
	for deadline := time.Now().Add(2 * time.Second); len(readers) < 2 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond) // the readers name their threads as they start
		readers = readerThreads(t, pid)
	}
	if len(readers) != 2 {
		t.Fatalf("reader threads %v, want udp-reader-0 and udp-reader-1", readers)
	}
	before, total0 := threadTicks(t, pid, readers), processCPU(t, pid)
	sent, echoed := offerLoad(t, udp.Addr, 8, 5000, 3*time.Second)
	after, total1 := threadTicks(t, pid, readers), processCPU(t, pid)
	total := total1 - total0
	t.Logf("%d datagrams sent, %d echoed; server CPU %d ticks", sent, echoed, total)
	if echoed < sent*95/100 {
		t.Errorf("%d of %d datagrams echoed", echoed, sent)
	}
	if total < 30 {
		t.Fatalf("the server used %d ticks of CPU for the load: too little to share", total)
	}
	for name, tid := range readers {
		share := float64(after[tid]-before[tid]) / float64(total)
		t.Logf("%s: %d ticks, %.0f%% of the server's CPU", name, after[tid]-before[tid], 100*share)
		if share < 0.30 {
			t.Errorf("%s carried %.0f%% of the server's CPU, want at least 30%%", name, 100*share)
		}
	}
	p.Terminate(t, 15*time.Second)
}

// readerThreads maps the names of pid's udp-reader threads to their ids.
func readerThreads(t *testing.T, pid int) map[string]int {
	t.Helper()
	dirs, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*", pid))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, dir := range dirs {
		comm, err := os.ReadFile(dir + "/comm")
		name := strings.TrimSpace(string(comm))
		if err != nil || !strings.HasPrefix(name, "udp-reader-") {
			continue
		}
		tid, _ := strconv.Atoi(filepath.Base(dir))
		out[name] = tid
	}
	return out
}

// threadTicks reads the CPU ticks (utime+stime, proc(5) fields 14 and 15)
// of each thread.
func threadTicks(t *testing.T, pid int, threads map[string]int) map[int]int64 {
	t.Helper()
	out := map[int]int64{}
	for name, tid := range threads {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/stat", pid, tid))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:])) // f[0] is field 3
		utime, _ := strconv.ParseInt(f[11], 10, 64)
		stime, _ := strconv.ParseInt(f[12], 10, 64)
		out[tid] = utime + stime
	}
	return out
}

func processCPU(t *testing.T, pid int) int64 {
	t.Helper()
	d, err := procstat.CPU(pid)
	if err != nil {
		t.Fatal(err)
	}
	return int64(d / procstat.ClockTick)
}

// offerLoad sends 64-byte datagrams to addr from clients sockets, each at
// rate a second, for d, and counts the echoes.
func offerLoad(t *testing.T, addr string, clients, rate int, d time.Duration) (sent, echoed int64) {
	t.Helper()
	var nSent, nEchoed atomic.Int64
	var wg sync.WaitGroup
	stop := time.Now().Add(d)
	for range clients {
		c, err := net.Dial("udp4", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		wg.Go(func() { // the echoes, until 1 s after the last datagram
			buf := make([]byte, 128)
			for {
				_ = c.SetReadDeadline(stop.Add(time.Second))
				if _, err := c.Read(buf); err != nil {
					return
				}
				nEchoed.Add(1)
			}
		})
		wg.Go(func() { // rate a second, in ticks of 1 ms
			msg, start, n := make([]byte, 64), time.Now(), int64(0)
			for now := start; now.Before(stop); now = time.Now() {
				for due := int64(now.Sub(start).Seconds() * float64(rate)); n < due; n++ {
					msg[0], msg[1] = byte(n), byte(n>>8)
					if _, err := c.Write(msg); err == nil {
						nSent.Add(1)
					}
				}
				time.Sleep(time.Millisecond)
			}
		})
	}
	wg.Wait()
	return nSent.Load(), nEchoed.Load()
}
