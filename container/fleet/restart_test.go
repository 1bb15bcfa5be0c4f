package fleet

import (
	"fmt"
	"testing"
	"time"
)

// schedule is how long the load runs and when the hosts restart: host i
// at at[i].
type schedule struct {
	load time.Duration
	at   []time.Duration
}

// The full run restarts every host once in 20 s; the short one, used by
// the controls, restarts the first host once in 8 s.
var (
	fullRun  = schedule{20 * time.Second, []time.Duration{4 * time.Second, 10 * time.Second, 16 * time.Second}}
	shortRun = schedule{8 * time.Second, []time.Duration{3 * time.Second}}
)

// restartLoad: 500 new connections a second; each echoes 2 KiB in two
// halves 50 ms apart.
var restartLoad = tcpLoad{Rate: 500, Size: 2048, Hold: 50 * time.Millisecond, Timeout: 15 * time.Second}

// restartUnderLoad runs restartLoad against addr from the client's
// namespace and calls restart(i) at each time of the schedule. It returns
// what the load saw and when each restart began.
func restartUnderLoad(t *testing.T, f *fleetNet, addr string, s schedule, restart func(i int)) (tcpResult, []time.Time) {
	t.Helper()
	load := restartLoad
	load.Addr, load.Duration = addr, s.load
	run := startLoad(t, f, "tcp", load)
	t0 := time.Now()
	began := make([]time.Time, len(s.at))
	for i, at := range s.at {
		time.Sleep(time.Until(t0.Add(at)))
		began[i] = time.Now()
		restart(i)
		t.Logf("host %d: restart began at %.1fs, done %v later", i+1, began[i].Sub(t0).Seconds(), time.Since(began[i]).Round(time.Millisecond))
	}
	var res tcpResult
	run.wait(t, load.Duration+2*load.Timeout, &res)
	return res, began
}

// checkRestarts logs the counts and checks them: every connection
// attempted, no wrong byte, and no failure, or, for a negative control
// (wantLoss), at least one.
func checkRestarts(t *testing.T, s schedule, wantLoss bool, res tcpResult, began []time.Time) {
	t.Helper()
	t.Logf("%d connections, %d failed (by restart: %v), %d wrong bytes, slowest success %v; failures: %v",
		res.Attempted, res.Failed, failedByRestart(res, began), res.WrongBytes, res.Slowest.Round(time.Millisecond), res.Errors)
	if want := int64(s.load.Seconds()) * int64(restartLoad.Rate); res.Attempted != want {
		t.Errorf("attempted %d connections, want %d", res.Attempted, want)
	}
	if res.WrongBytes != 0 {
		t.Errorf("%d bytes came back wrong", res.WrongBytes)
	}
	switch {
	case wantLoss && res.Failed == 0:
		t.Errorf("the negative control lost no connection: the test cannot see a loss")
	case !wantLoss && res.Failed != 0:
		t.Errorf("%d of %d connections failed: %v", res.Failed, res.Attempted, res.Errors)
	}
}

// failedByRestart counts the failures that began after each restart (and
// before the next); any before the first are counted with it.
func failedByRestart(res tcpResult, began []time.Time) []int64 {
	counts := make([]int64, len(began))
	for tenth, n := range res.FailedByTenth {
		i := 0
		for i+1 < len(began) && began[i+1].UnixMilli()/100 <= tenth {
			i++
		}
		counts[i] += n
	}
	return counts
}

// startBackends starts a server on every host.
func startBackends(t *testing.T, f *fleetNet, mode socketMode, args []string, stray bool) []*backend {
	t.Helper()
	backends := make([]*backend, len(f.hosts))
	for i := range f.hosts {
		backends[i] = startBackend(t, f, i, mode, args, stray)
	}
	return backends
}

func stopAll(t *testing.T, backends []*backend) {
	t.Helper()
	for _, b := range backends {
		b.stop(t)
	}
}

// echoAddr is the balancer's address for the echo port.
func echoAddr(vip string) string { return fmt.Sprintf("%s:%d", vip, echoPort) }
