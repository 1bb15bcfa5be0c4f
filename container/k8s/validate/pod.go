package validate

import (
	"fmt"
	"path"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// checkPod checks each container of a pod: the server's arguments against
// its ports and probes, its securityContext, and the grace period.
func checkPod(p pod) []error {
	var errs []error
	for i := range p.spec.Containers {
		c := &p.spec.Containers[i]
		owner := fmt.Sprintf("%s: container %s", p.owner, c.Name)
		args, err := parseArgs(c.Args)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: args: %w", owner, err))
			continue
		}
		errs = append(errs, checkSecurity(owner, p.spec.SecurityContext, c.SecurityContext)...)
		errs = append(errs, checkPorts(owner, c, args)...)
		errs = append(errs, checkProbes(owner, c, args, p.serviceBacked)...)
		errs = append(errs, checkGrace(owner, p.spec.TerminationGracePeriodSeconds, args)...)
	}
	return errs
}

// checkPorts fails for a containerPort the server does not listen on.
func checkPorts(owner string, c *corev1.Container, args serverArgs) []error {
	var errs []error
	for _, cp := range c.Ports {
		if !args.listening(protocolOf(cp.Protocol), int(cp.ContainerPort), false) {
			errs = append(errs, fmt.Errorf("%s: containerPort %q (%s %d): the args listen on no such socket", owner, cp.Name, protocolOf(cp.Protocol), cp.ContainerPort))
		}
	}
	return errs
}

// checkProbes checks each probe; a Deployment's pods (serviceBacked) need
// a readinessProbe too.
func checkProbes(owner string, c *corev1.Container, args serverArgs, serviceBacked bool) []error {
	var errs []error
	for _, pr := range []struct {
		name  string
		probe *corev1.Probe
	}{{"livenessProbe", c.LivenessProbe}, {"readinessProbe", c.ReadinessProbe}, {"startupProbe", c.StartupProbe}} {
		if pr.probe != nil {
			if err := checkProbe(c, args, pr.probe); err != nil {
				errs = append(errs, fmt.Errorf("%s: %s: %w", owner, pr.name, err))
			}
		}
	}
	if c.LivenessProbe == nil {
		errs = append(errs, fmt.Errorf("%s: no livenessProbe", owner))
	}
	if c.ReadinessProbe == nil && serviceBacked {
		errs = append(errs, fmt.Errorf("%s: no readinessProbe: a Service would send connections before the server serves", owner))
	}
	return errs
}

// checkProbe fails unless the probe reaches a socket the server listens on
// with something that socket answers: HTTP on the metrics socket, a TCP
// connect on any TCP socket, or `echo-server probe URL` on a listened URL.
func checkProbe(c *corev1.Container, args serverArgs, p *corev1.Probe) error {
	switch {
	case p.HTTPGet != nil:
		port, err := containerPort(c, p.HTTPGet.Port)
		if err == nil && !args.listening("TCP", port, true) {
			err = fmt.Errorf("httpGet %s on port %d: not the metrics socket (--metrics-listen)", p.HTTPGet.Path, port)
		}
		if err == nil && p.HTTPGet.Path != "/readyz" && p.HTTPGet.Path != "/livez" {
			err = fmt.Errorf("httpGet path %q: want /readyz or /livez", p.HTTPGet.Path)
		}
		return err
	case p.TCPSocket != nil:
		port, err := containerPort(c, p.TCPSocket.Port)
		if err == nil && !args.listening("TCP", port, false) {
			err = fmt.Errorf("tcpSocket port %d: the args listen on no such TCP socket", port)
		}
		return err
	case p.Exec != nil:
		return checkExecProbe(args, p.Exec.Command)
	}
	return fmt.Errorf("want httpGet, tcpSocket or exec")
}

// checkExecProbe wants /path/to/echo-server probe [flags] URL, with URL
// listened on.
func checkExecProbe(args serverArgs, cmd []string) error {
	if len(cmd) < 3 || path.Base(cmd[0]) != "echo-server" || cmd[1] != "probe" {
		return fmt.Errorf("exec %q: want [/usr/local/bin/echo-server probe URL]", cmd)
	}
	url := cmd[len(cmd)-1]
	e, err := parseEndpoint(url)
	if err != nil || e.protocol == "" {
		return fmt.Errorf("exec probe URL %q: want tcp://, udp:// or http:// HOST:PORT (%v)", url, err)
	}
	if !args.listening(e.protocol, e.port, strings.HasPrefix(url, "http://")) {
		return fmt.Errorf("exec probe URL %q: the args listen on no such socket", url)
	}
	return nil
}

// containerPort resolves a probe's port, a number or a containerPort name.
func containerPort(c *corev1.Container, port intstr.IntOrString) (int, error) {
	if port.Type == intstr.Int {
		return port.IntValue(), nil
	}
	for _, cp := range c.Ports {
		if cp.Name == port.StrVal {
			return int(cp.ContainerPort), nil
		}
	}
	return 0, fmt.Errorf("port %q names no containerPort", port.StrVal)
}

// checkGrace wants the grace period (default 30 s) to exceed the server's
// shutdown: --shutdown-delay, then up to --drain-timeout.
func checkGrace(owner string, grace *int64, args serverArgs) []error {
	g := 30 * time.Second
	if grace != nil {
		g = time.Duration(*grace) * time.Second
	}
	if need := args.shutdownDelay + args.drainTimeout; g <= need {
		return []error{fmt.Errorf("%s: terminationGracePeriodSeconds %v does not exceed --shutdown-delay + --drain-timeout = %v: SIGKILL would cut the drain", owner, g, need)}
	}
	return nil
}
