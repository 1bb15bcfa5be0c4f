package validate

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// serverArgs is what the checks need from echo-server's command line.
type serverArgs struct {
	listens       []endpoint // --listen and --metrics-listen
	shutdownDelay time.Duration
	drainTimeout  time.Duration
}

// endpoint is a socket the server listens on: protocol TCP or UDP, a port,
// and whether it is the metrics (health) socket.
type endpoint struct {
	protocol string
	port     int
	metrics  bool
}

// parseArgs reads the flags the checks use, as --flag=value or --flag value.
// The defaults are the server's: no shutdown delay, a 5 s drain.
func parseArgs(args []string) (serverArgs, error) {
	a := serverArgs{drainTimeout: 5 * time.Second}
	for i := 0; i < len(args); i++ {
		name, value, hasValue := strings.Cut(args[i], "=")
		if !hasValue && i+1 < len(args) && isValued(name) {
			i++
			value = args[i]
		}
		if err := a.set(name, value); err != nil {
			return a, fmt.Errorf("%s: %w", args[i], err)
		}
	}
	return a, nil
}

func isValued(name string) bool {
	switch name {
	case "--listen", "--metrics-listen", "--shutdown-delay", "--drain-timeout":
		return true
	}
	return false
}

func (a *serverArgs) set(name, value string) error {
	var err error
	switch name {
	case "--listen", "--metrics-listen":
		var e endpoint
		if e, err = parseEndpoint(value); err == nil {
			e.metrics = name == "--metrics-listen"
			a.listens = append(a.listens, e)
		}
	case "--shutdown-delay":
		a.shutdownDelay, err = time.ParseDuration(value)
	case "--drain-timeout":
		a.drainTimeout, err = time.ParseDuration(value)
	}
	return err
}

// parseEndpoint reads a --listen URL of a network socket (tcp*, udp*);
// other schemes (unix, vsock) have no port and are skipped by the checks.
func parseEndpoint(url string) (endpoint, error) {
	scheme, addr, ok := strings.Cut(url, "://")
	if !ok {
		return endpoint{}, fmt.Errorf("not a URL")
	}
	protocol := map[string]string{"tcp": "TCP", "tcp4": "TCP", "tcp6": "TCP", "udp": "UDP", "udp4": "UDP", "udp6": "UDP", "http": "TCP"}[scheme]
	if protocol == "" {
		return endpoint{}, nil
	}
	addr, _, _ = strings.Cut(addr, "/") // http://HOST:PORT/path
	_, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return endpoint{}, err
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 1 || port > 65535 {
		return endpoint{}, fmt.Errorf("bad port %q", portStr)
	}
	return endpoint{protocol: protocol, port: port}, nil
}

// listening reports whether the server listens on port with protocol;
// metricsOnly asks for the metrics socket.
func (a serverArgs) listening(protocol string, port int, metricsOnly bool) bool {
	for _, e := range a.listens {
		if e.protocol == protocol && e.port == port && (e.metrics || !metricsOnly) {
			return true
		}
	}
	return false
}
