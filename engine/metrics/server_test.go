package metrics

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine"
	"github.com/echo-activation/echo-server/engine/activation"
	"github.com/echo-activation/echo-server/engine/echotest"
	"github.com/echo-activation/echo-server/engine/listen"
	"golang.org/x/sys/unix"
)

var quiet = slog.New(slog.DiscardHandler)

// adopted creates a socket from a --listen URL and adopts it as the command
// does; the original fd is closed, as the server's copy is all that is used.
func adopted(t *testing.T, url string) engine.Socket {
	t.Helper()
	fd, err := listen.Listen(url)
	if err != nil {
		t.Fatal(err)
	}
	socks := engine.AdoptAll([]activation.InheritedFD{fd}, quiet)
	_ = syscall.Close(fd.FD)
	if len(socks) != 1 {
		t.Fatalf("%s not adopted", url)
	}
	return socks[0]
}

// echoServer starts a real engine echoing on one TCP loopback socket.
func echoServer(t *testing.T) (*engine.Server, string) {
	t.Helper()
	sock := adopted(t, "tcp4://127.0.0.1:0")
	srv, err := engine.New([]engine.Socket{sock}, engine.WithLogger(quiet))
	if err == nil {
		err = srv.Start()
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return srv, sock.Addr
}

// serveMetrics serves src on an adopted loopback socket, as the command
// does, and returns the base URL.
func serveMetrics(t *testing.T, src Source, h *Health, opts Options) (*Server, string) {
	t.Helper()
	sock := adopted(t, "tcp4://127.0.0.1:0")
	ln, err := Listener(sock)
	if err != nil {
		t.Fatal(err)
	}
	opts.Logger = quiet
	s := New(src, h, opts)
	s.Serve(ln)
	t.Cleanup(func() { _ = s.Close() })
	return s, "http://" + sock.Addr
}

// get does one request on a new connection and returns status and body.
func get(t *testing.T, method, url string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// samples maps each unlabelled sample name to its value.
func samples(t *testing.T, body string) map[string]float64 {
	out := map[string]float64{}
	for line := range strings.Lines(body) {
		name, v, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok || strings.HasPrefix(name, "#") || strings.Contains(name, "{") {
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			t.Fatalf("sample %q: %v", line, err)
		}
		out[name] = f
	}
	return out
}

// TestScrape: bytes echoed by a real engine show in its counters, beside
// the build info and process metrics that /proc and getrlimit confirm.
func TestScrape(t *testing.T) {
	srv, addr := echoServer(t)
	_, base := serveMetrics(t, srv, nil, Options{Version: "v1.2-test"})
	c, err := net.Dial("tcp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := echotest.Stream(c, echotest.Payload(1000, 1), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	code, body := get(t, "GET", base+"/metrics")
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	for _, want := range []string{
		`echo_received_bytes_total{network="tcp4",socket="tcp4://127.0.0.1:0"} 1000`,
		`echo_connections_open{network="tcp4",socket="tcp4://127.0.0.1:0"} 1`,
		`echo_build_info{version="v1.2-test",goversion="` + runtime.Version() + `"} 1`,
		"# TYPE process_cpu_seconds_total counter\n",
		"echo_ready 0\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	checkProcess(t, samples(t, body))
}

func checkProcess(t *testing.T, s map[string]float64) {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	now := float64(time.Now().UnixMilli()) / 1e3
	for _, c := range []struct {
		name     string
		min, max float64
	}{
		{"process_max_fds", float64(lim.Cur), float64(lim.Cur)},
		{"process_start_time_seconds", now - 3600, now},
		{"process_cpu_seconds_total", 0, 3600},
		{"process_open_fds", 5, float64(lim.Cur)},
		{"process_resident_memory_bytes", 1 << 20, 1 << 34},
		{"go_goroutines", 2, 1e5},
	} {
		v, ok := s[c.name]
		if !ok || v < c.min || v > c.max {
			t.Errorf("%s = %v (present %v), want in [%v, %v]", c.name, v, ok, c.min, c.max)
		}
	}
}

// TestPaths: what each method and path answers, before and after ready.
func TestPaths(t *testing.T) {
	srv, _ := echoServer(t)
	h := &Health{}
	_, base := serveMetrics(t, srv, h, Options{})
	for _, tc := range []struct {
		method, path string
		ready        bool
		code         int
		body         string
	}{
		{"GET", "/metrics", false, 200, "# TYPE echo_received_bytes_total counter"},
		{"HEAD", "/metrics", false, 200, ""},
		{"GET", "/livez", false, 200, "live"},
		{"GET", "/readyz", false, 503, "not ready"},
		{"GET", "/readyz", true, 200, "ready"},
		{"GET", "/livez", true, 200, "live"},
		{"GET", "/healthz", true, 404, "GET /metrics, /livez or /readyz"},
		{"GET", "/", true, 404, ""},
		{"POST", "/metrics", true, 405, ""},
	} {
		t.Run(tc.method+tc.path, func(t *testing.T) {
			h.SetReady(tc.ready)
			code, body := get(t, tc.method, base+tc.path)
			if code != tc.code || !strings.Contains(body, tc.body) {
				t.Fatalf("%s %s: %d %q, want %d with %q", tc.method, tc.path, code, body, tc.code, tc.body)
			}
			if tc.method == "HEAD" && body != "" {
				t.Fatalf("HEAD has a body: %q", body)
			}
		})
	}
}

// TestListenerOwnsTheFD: Listener refuses what is not a listening stream
// socket, and closes sock.FD on every path, failures included (the caller
// never closes it, so no fd is closed twice).
func TestListenerOwnsTheFD(t *testing.T) {
	devnull, err := syscall.Open("/dev/null", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		sock   engine.Socket
		errHas string // "" for success
	}{
		{name: "udp", sock: adopted(t, "udp4://127.0.0.1:0"), errHas: "not a listening stream socket"},
		{name: "not a socket", sock: engine.Socket{FD: devnull, Name: "null", Kind: engine.StreamListener}, errHas: "socket operation on non-socket"},
		{name: "tcp", sock: adopted(t, "tcp4://127.0.0.1:0")},
	} {
		ln, err := Listener(tc.sock)
		if tc.errHas == "" && err != nil || tc.errHas != "" && (err == nil || !strings.Contains(err.Error(), tc.errHas)) {
			t.Errorf("%s: err %v, want %q", tc.name, err, tc.errHas)
		}
		if _, ferr := unix.FcntlInt(uintptr(tc.sock.FD), unix.F_GETFD, 0); ferr != unix.EBADF {
			t.Errorf("%s: fd %d still open after Listener (%v)", tc.name, tc.sock.FD, ferr)
		}
		if ln != nil {
			_ = ln.Close()
		}
	}
}

func TestCloseTwice(t *testing.T) {
	srv, _ := echoServer(t)
	s, base := serveMetrics(t, srv, nil, Options{})
	_ = s.Close()
	_ = s.Close()
	if _, err := net.DialTimeout("tcp4", strings.TrimPrefix(base, "http://"), time.Second); err == nil {
		t.Fatal("the metrics socket still accepts after Close")
	}
}

// holders open connections that hold a slot without a request in progress.
var holders = []struct {
	name string
	hold func(c net.Conn) error
}{
	{"silent", func(net.Conn) error { return nil }},
	{"slow request head", func(c net.Conn) error {
		_, err := io.WriteString(c, "GET /metrics HTTP/1.1\r\nHost: x\r\n")
		return err
	}},
	{"idle keep-alive", func(c net.Conn) error {
		if _, err := io.WriteString(c, "GET /livez HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			return err
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return err
	}},
}

// TestHeldConnectionsDoNotDelayScrape: 20 clients that connect and then
// hold their connections (silent, mid-request, idle between requests)
// do not delay a scrape. With one scrape at a time and a 5 s deadline (the
// old responder), one such client delayed it 4.7 s and 20 made it time out.
func TestHeldConnectionsDoNotDelayScrape(t *testing.T) {
	srv, _ := echoServer(t)
	for _, hk := range holders {
		t.Run(hk.name, func(t *testing.T) {
			s, base := serveMetrics(t, srv, nil, Options{MaxConns: 16, Timeout: 5 * time.Second})
			for range 20 {
				c, err := net.Dial("tcp4", strings.TrimPrefix(base, "http://"))
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				if err := hk.hold(c); err != nil {
					t.Fatal(err)
				}
			}
			waitEvicted(t, s, 20-16)
			for range 3 {
				start := time.Now()
				if code, _ := get(t, "GET", base+"/metrics"); code != 200 {
					t.Fatalf("status %d", code)
				}
				if d := time.Since(start); d > time.Second {
					t.Fatalf("scrape took %v with 20 held connections", d)
				}
			}
		})
	}
}

// waitEvicted waits until the server has accepted enough of the held
// connections to have evicted n, so the scrape meets a full table.
func waitEvicted(t *testing.T, s *Server, n uint64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for s.limit.evicted.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("evicted %d connections, want %d", s.limit.evicted.Load(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
