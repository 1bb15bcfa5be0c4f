package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/udprules"
)

func TestUDPGuardFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want udprules.Config
	}{
		{name: "defaults", want: udprules.Config{LoopLimit: 10, LoopWindow: time.Second, ReplyBudget: 1000, ReplyBurst: 10000}},
		{name: "off", args: []string{"--udp-loop-limit", "0", "--udp-reply-budget", "0"},
			want: udprules.Config{LoopLimit: -1, LoopWindow: time.Second, ReplyBudget: -1, ReplyBurst: 10000}},
		{name: "tuned", args: []string{"--udp-loop-limit=50", "--udp-loop-window=2s", "--udp-reply-budget=200", "--udp-reply-burst=400"},
			want: udprules.Config{LoopLimit: 50, LoopWindow: 2 * time.Second, ReplyBudget: 200, ReplyBurst: 400}},
	} {
		cfg, code := parseFlags(tc.args, io.Discard, io.Discard)
		if cfg == nil || code != exitOK {
			t.Fatalf("%s: parse failed with %d", tc.name, code)
		}
		if got := cfg.udpGuard(); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// TestUDPLoopLimitFlag: the built binary answers one payload from one
// socket --udp-loop-limit times per --udp-loop-window (a minute here, so a
// slow machine cannot open a new window mid-test) and counts and logs the
// rest as a loop; with the rule off it answers all of them.
func TestUDPLoopLimitFlag(t *testing.T) {
	for _, tc := range []struct {
		limit, answered int
	}{{limit: 3, answered: 3}, {limit: 0, answered: 6}} {
		t.Run(fmt.Sprint(tc.limit), func(t *testing.T) {
			udp, metrics := listenFamily(t, "udp4", ""), listenFamily(t, "tcp4", "")
			p := startActivated(t, []*os.File{udp.File, metrics.File}, []string{"udp", "metrics"}, "--udp-loop-limit", fmt.Sprint(tc.limit), "--udp-loop-window", "1m")
			p.WaitLog(t, "msg=serving", 2)
			c, err := net.Dial("udp4", udp.Addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if got := repeat(c, []byte("the same payload"), 6); got != tc.answered {
				t.Errorf("%d of 6 answered, want %d", got, tc.answered)
			}
			refused := fmt.Sprintf(`echo_datagrams_refused_total{network="udp4",socket="udp",reason="loop"} %d`, 6-tc.answered)
			if body := scrape(t, "http://"+metrics.Addr+"/metrics"); !strings.Contains(body, refused) {
				t.Errorf("metrics lack %s", refused)
			}
			logged := strings.Contains(p.Stderr.String(), "reason=loop source="+c.LocalAddr().String())
			if logged != (tc.answered < 6) {
				t.Errorf("loop refusal logged: %v\n%s", logged, p.Stderr)
			}
			p.Terminate(t, 15*time.Second)
		})
	}
}

// repeat sends p n times from c, each after the last echo or 300 ms of
// silence, and returns how many echoes came back.
func repeat(c net.Conn, p []byte, n int) int {
	got, buf := 0, make([]byte, len(p)+1)
	for range n {
		_, _ = c.Write(p)
		_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		if k, err := c.Read(buf); err == nil && string(buf[:k]) == string(p) {
			got++
		}
	}
	return got
}
