package validate

import (
	"os"
	"strings"
	"testing"
)

// The shipped manifests, beside this module.
var shipped = []string{"../echo-server.yaml", "../echo-pod.yaml"}

func validate(data []byte) []error {
	objs, err := Decode(data)
	if err != nil {
		return []error{err}
	}
	return Check(objs)
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestShippedManifests(t *testing.T) {
	wantKinds := map[string]int{"../echo-server.yaml": 4, "../echo-pod.yaml": 1}
	for _, path := range shipped {
		objs, err := Decode([]byte(read(t, path)))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(objs) != wantKinds[path] {
			t.Errorf("%s: %d objects, want %d", path, len(objs), wantKinds[path])
		}
		for _, err := range Check(objs) {
			t.Errorf("%s: %v", path, err)
		}
	}
}

// TestBrokenManifests breaks the shipped manifests one way at a time; each
// must be caught, with an error that says what is wrong.
func TestBrokenManifests(t *testing.T) {
	cases := []struct {
		name, file, old, new, want string
	}{
		{"unknown field", "../echo-server.yaml", "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: true\n            readOnlyRootFS: true", `json: unknown field "readOnlyRootFS"`},
		{"unknown top-level field", "../echo-pod.yaml", "kind: Pod", "kind: Pod\nstatus2: {}", `unknown field "status2"`},
		{"wrong type", "../echo-server.yaml", "replicas: 3", "replicas: three", "cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32"},
		{"wrong type in a port", "../echo-pod.yaml", "echo-udp\n          containerPort: 3000", "echo-udp\n          containerPort: [3000]", "cannot unmarshal array"},
		{"duplicate key", "../echo-server.yaml", "  replicas: 3", "  replicas: 3\n  replicas: 2", `key "replicas" already set`},
		{"unknown kind", "../echo-server.yaml", "kind: PodDisruptionBudget", "kind: PodDisruptionBudgets", `unexpected apiVersion "policy/v1" kind "PodDisruptionBudgets"`},
		{"deployment selector", "../echo-server.yaml", "replicas: 3\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: echo-server", "replicas: 3\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: echo", "Deployment echo-server: selector app.kubernetes.io/name=echo matches no pod"},
		{"service selector", "../echo-server.yaml", "spec:\n  selector:\n    app.kubernetes.io/name: echo-server\n  ports", "spec:\n  selector:\n    app: echo-server\n  ports", "Service echo-server: selector map[app:echo-server] matches no pod"},
		{"pdb selector", "../echo-server.yaml", "  maxUnavailable: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: echo-server", "  maxUnavailable: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: echo-srv", "PodDisruptionBudget echo-server: selector"},
		{"service target port protocol", "../echo-server.yaml", "targetPort: echo-udp", "targetPort: echo-tcp", `port "echo-udp" (UDP 3000 -> echo-tcp) names no UDP container port`},
		{"readiness probe port not listened", "../echo-server.yaml", "--metrics-listen=tcp://0.0.0.0:9000", "--metrics-listen=tcp://0.0.0.0:9100", "readinessProbe: httpGet /readyz on port 9000: not the metrics socket"},
		{"readiness probe on the echo port", "../echo-server.yaml", "path: /readyz\n              port: metrics", "path: /readyz\n              port: echo-tcp", "httpGet /readyz on port 3000: not the metrics socket"},
		{"probe port name unknown", "../echo-server.yaml", "path: /livez\n              port: metrics", "path: /livez\n              port: health", `livenessProbe: port "health" names no containerPort`},
		{"container port not listened", "../echo-server.yaml", "--listen=udp://0.0.0.0:3000", "--listen=udp://0.0.0.0:3001", `containerPort "echo-udp" (UDP 3000): the args listen on no such socket`},
		{"exec probe port not listened", "../echo-pod.yaml", `"probe", "tcp://127.0.0.1:3000"`, `"probe", "tcp://127.0.0.1:3001"`, `exec probe URL "tcp://127.0.0.1:3001": the args listen on no such socket`},
		{"exec probe without the server", "../echo-pod.yaml", `["/usr/local/bin/echo-server", "probe"`, `["/bin/nc", "probe"`, "want [/usr/local/bin/echo-server probe URL]"},
		{"no readiness probe", "../echo-server.yaml", "readinessProbe:", "startupProbe:", "no readinessProbe"},
		{"grace period too short", "../echo-server.yaml", "terminationGracePeriodSeconds: 30", "terminationGracePeriodSeconds: 25", "terminationGracePeriodSeconds 25s does not exceed --shutdown-delay + --drain-timeout = 25s"},
		{"grace period default too short", "../echo-server.yaml", "--drain-timeout=20s", "--drain-timeout=30s", "terminationGracePeriodSeconds 30s does not exceed"},
		{"root", "../echo-server.yaml", "runAsNonRoot: true", "runAsNonRoot: false", "runAsNonRoot must be true"},
		{"other uid", "../echo-pod.yaml", "runAsUser: 65534", "runAsUser: 1000", "runAsUser must be 65534"},
		{"privilege escalation", "../echo-server.yaml", "allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true", "allowPrivilegeEscalation must be false"},
		{"writable root", "../echo-pod.yaml", "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false", "readOnlyRootFilesystem must be true"},
		{"capabilities kept", "../echo-server.yaml", `drop: ["ALL"]`, `drop: ["NET_RAW"]`, "capabilities must drop ALL"},
		{"seccomp unconfined", "../echo-server.yaml", "type: RuntimeDefault", "type: Unconfined", "seccompProfile must be RuntimeDefault"},
		{"egress allowed", "../echo-server.yaml", "  egress: []", "  egress:\n    - {}", "NetworkPolicy echo-server: must deny all egress"},
		{"no egress policy type", "../echo-server.yaml", `policyTypes: ["Ingress", "Egress"]`, `policyTypes: ["Ingress"]`, "must deny all egress"},
		{"ingress on every port", "../echo-server.yaml", "  ingress:\n    - ports:", "  ingress:\n    - from: []\n      ports: []\n    - ports:", "an ingress rule without ports admits every port"},
		{"ingress port not served", "../echo-server.yaml", "        - port: metrics\n          protocol: TCP", "        - port: 22\n          protocol: TCP", "ingress port TCP/22 is no container port"},
		{"ingress port wrong protocol", "../echo-server.yaml", "        - port: echo-udp\n          protocol: UDP", "        - port: echo-udp\n          protocol: TCP", "ingress port TCP/echo-udp is no container port"},
		{"policy selects nothing", "../echo-server.yaml", "spec:\n  podSelector:\n    matchLabels:\n      app.kubernetes.io/name: echo-server", "spec:\n  podSelector:\n    matchLabels:\n      app.kubernetes.io/name: echo", "NetworkPolicy echo-server: selector app.kubernetes.io/name=echo matches no pod"},
		{"no network policy", "../echo-server.yaml", "kind: NetworkPolicy", "kind: NetworkPolicyX", `unexpected apiVersion "networking.k8s.io/v1" kind "NetworkPolicyX"`},
		{"bad duration", "../echo-server.yaml", "--shutdown-delay=5s", "--shutdown-delay=5", "--shutdown-delay=5: time: missing unit"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			orig := read(t, c.file)
			if strings.Count(orig, c.old) != 1 {
				t.Fatalf("%q occurs %d times in %s, want once", c.old, strings.Count(orig, c.old), c.file)
			}
			errs := validate([]byte(strings.Replace(orig, c.old, c.new, 1)))
			for _, err := range errs {
				if strings.Contains(err.Error(), c.want) {
					return
				}
			}
			t.Errorf("no error containing %q; got %v", c.want, errs)
		})
	}
}
