package fleet

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest"
)

// The Pod file and what podman names from it.
const (
	podFile       = "../k8s/echo-pod.yaml"
	podImage      = "localhost/echo-server:latest"
	podName       = "echo"
	podContainer  = "echo-echo-server"
	podHostAddr   = "10.213.2.1" // the namespace podman runs in
	podClientAddr = "10.213.2.2"
)

// TestPodmanKubePlay runs the shipped Pod file with `podman kube play` on a
// test host (a network namespace; podman's bridge and port forwarding are
// made inside it) and checks it from a client namespace: TCP and UDP echo
// byte for byte through the published hostPorts, the liveness probe (an
// exec of `echo-server probe`) passes, the UDP and /readyz probes pass in
// the Pod, the server runs as 65534 with no capabilities on a read-only
// root, and SIGTERM ends it with status 0.
func TestPodmanKubePlay(t *testing.T) {
	needFleetTools(t)
	echotest.NeedTool(t, "podman", "podman")
	echotest.NeedTool(t, "runc", "runc")
	echotest.NeedTool(t, "catatonit", "catatonit")
	host, client := newPodNet(t)
	buildImage(t)
	play := func(args ...string) *exec.Cmd {
		return podmanCmd(exec.Command("nsenter", append([]string{"--net=/run/netns/" + host, "--", "podman", "kube", "play"}, args...)...))
	}
	t.Cleanup(func() { _ = play("--down", podFile).Run() })
	if out, err := play(podFile).CombinedOutput(); err != nil {
		t.Fatalf("podman kube play: %v\n%s", err, out)
	}
	waitPodman(t, func() bool { return strings.Count(podLog(t), "msg=serving") == 3 })

	addr := fmt.Sprintf("%s:%d", podHostAddr, echoPort)
	for _, network := range []string{"tcp4", "udp4"} {
		if err := inNetns(client, func() error { return echoOnce(network, addr) }); err != nil {
			t.Errorf("%s echo through the Pod's hostPort: %v", network, err)
		}
	}
	checkProbe(t)
	for _, url := range []string{"udp://127.0.0.1:3000", "http://127.0.0.1:9000/readyz"} {
		if out, err := podmanCmd(exec.Command("podman", "exec", podContainer, "/usr/local/bin/echo-server", "probe", url)).CombinedOutput(); err != nil {
			t.Errorf("echo-server probe %s in the Pod: %v: %s", url, err, out)
		}
	}
	checkConfined(t, podmanOut(t, "inspect", "-f", "{{.State.Pid}}", podContainer))
	podmanOut(t, "pod", "stop", "-t", "10", podName)
	if code := podmanOut(t, "inspect", "-f", "{{.State.ExitCode}}", podContainer); code != "0" {
		t.Errorf("exit status after SIGTERM: %s, want 0", code)
	}
}

// newPodNet makes the podman host's namespace and a client's, linked.
func newPodNet(t *testing.T) (host, client string) {
	t.Helper()
	prefix := newPrefix(t)
	host, client = prefix+"-pod", prefix+"-cl"
	t.Cleanup(func() {
		for _, ns := range []string{client, host} {
			_ = exec.Command("ip", "netns", "del", ns).Run()
		}
	})
	runIP(t, [][]string{
		{"netns", "add", host}, {"netns", "add", client},
		{"-n", host, "link", "set", "lo", "up"}, {"-n", client, "link", "set", "lo", "up"},
		{"-n", host, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", client},
		{"-n", host, "addr", "add", podHostAddr + "/24", "dev", "eth0"}, {"-n", host, "link", "set", "eth0", "up"},
		{"-n", client, "addr", "add", podClientAddr + "/24", "dev", "eth0"}, {"-n", client, "link", "set", "eth0", "up"},
	})
	return host, client
}

// podmanCmd gives cmd the test-only podman settings (container/e2e).
func podmanCmd(cmd *exec.Cmd) *exec.Cmd {
	e2e, _ := filepath.Abs("../e2e")
	cmd.Env = append(os.Environ(), "CONTAINERS_CONF="+filepath.Join(e2e, "containers.conf"),
		"CONTAINERS_STORAGE_CONF="+filepath.Join(e2e, "storage.conf"))
	return cmd
}

// podmanOut runs podman with args and returns its trimmed stdout.
func podmanOut(t *testing.T, args ...string) string {
	t.Helper()
	var stderr strings.Builder
	cmd := podmanCmd(exec.Command("podman", args...))
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("podman %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// podLog is the server's log (podman logs writes it on its stderr).
func podLog(t *testing.T) string {
	t.Helper()
	out, err := podmanCmd(exec.Command("podman", "logs", podContainer)).CombinedOutput()
	if err != nil {
		t.Fatalf("podman logs: %v\n%s", err, out)
	}
	return string(out)
}

// buildImage builds the image the Pod file names from the server binary
// (FROM scratch: no pull), and removes it when the test ends.
func buildImage(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	bin, err := os.ReadFile(serverBinary)
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "echo-server"), bin, 0o755)
	}
	if err != nil {
		t.Fatal(err)
	}
	podmanOut(t, "build", "-q", "--layers=false", "-f", "../Containerfile.prebuilt", "-t", podImage, dir)
	t.Cleanup(func() { _ = podmanCmd(exec.Command("podman", "rmi", "-f", podImage)).Run() })
}

func waitPodman(t *testing.T, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !ok(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the Pod did not serve in 20s; its log:\n%s", podLog(t))
		}
	}
}

// echoOnce checks one echo: 64 KiB over TCP, or one 1200-byte datagram.
func echoOnce(network, addr string) error {
	c, err := net.DialTimeout(network, addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	if network == "udp4" {
		return echotest.Datagram(c, echotest.Payload(1200, 1), 5*time.Second)
	}
	return echotest.Stream(c, echotest.Payload(64<<10, 1), 10*time.Second)
}

// checkConfined reads the server's uid, capabilities and root mount.
func checkConfined(t *testing.T, pid string) {
	t.Helper()
	status, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Uid:\t65534\t65534\t65534\t65534", "CapEff:\t0000000000000000", "CapBnd:\t0000000000000000", "NoNewPrivs:\t1"} {
		if !strings.Contains(string(status), want+"\n") {
			t.Errorf("server (pid %s) status lacks %q", pid, want)
		}
	}
	mounts, err := os.ReadFile("/proc/" + pid + "/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(mounts), "\n") {
		if f := strings.Fields(line); len(f) > 5 && f[4] == "/" && !strings.HasPrefix(f[5], "ro") {
			t.Errorf("root filesystem mounted %s, want ro", f[5])
		}
	}
}

// livenessCommand is the Pod file's exec livenessProbe.
var livenessCommand = []string{"/usr/local/bin/echo-server", "probe", "tcp://127.0.0.1:3000"}

// checkProbe checks the healthcheck podman made of the livenessProbe, and
// runs it. podman 4.4 and later keep an exec probe's argv (CMD) and run it
// as it is; 4.3 (Debian 12) joins it into a CMD-SHELL command for /bin/sh,
// which the FROM scratch image does not have, so there the probe's command
// is run with podman exec, as podman 4.4 and the kubelet run it.
func checkProbe(t *testing.T) {
	t.Helper()
	var test []string
	if err := json.Unmarshal([]byte(podmanOut(t, "inspect", "-f", "{{json .Config.Healthcheck.Test}}", podContainer)), &test); err != nil || len(test) == 0 {
		t.Fatalf("the Pod's container has no healthcheck (%v): podman did not take the livenessProbe", err)
	}
	switch test[0] {
	case "CMD":
		if !slices.Equal(test[1:], livenessCommand) {
			t.Errorf("healthcheck %q, want the livenessProbe's command %q", test[1:], livenessCommand)
		}
		if out, err := podmanCmd(exec.Command("podman", "healthcheck", "run", podContainer)).CombinedOutput(); err != nil {
			t.Errorf("liveness probe (podman healthcheck run): %v: %s", err, out)
		}
		return
	case "CMD-SHELL":
		if want := strings.Join(livenessCommand, " ") + " || exit 1"; strings.Join(test[1:], " ") != want {
			t.Errorf("healthcheck %q, want %q", test[1:], want)
		}
		t.Logf("this podman runs the probe as /bin/sh -c %q (podman < 4.4), which a FROM scratch image cannot: running its command with podman exec", strings.Join(test[1:], " "))
	default:
		t.Fatalf("healthcheck %q: unknown form", test)
	}
	out, err := podmanCmd(exec.Command("podman", append([]string{"exec", podContainer}, livenessCommand...)...)).CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "ok ") {
		t.Errorf("liveness probe %q in the Pod: %v: %s", livenessCommand, err, out)
	}
}
