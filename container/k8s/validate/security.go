package validate

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// checkSecurity wants the restricted Pod Security settings the server runs
// with: non-root uid 65534, no privilege escalation, a read-only root
// filesystem, every capability dropped, the runtime's default seccomp
// profile. A container setting overrides the pod's.
func checkSecurity(owner string, pod *corev1.PodSecurityContext, c *corev1.SecurityContext) []error {
	if pod == nil {
		pod = &corev1.PodSecurityContext{}
	}
	if c == nil {
		c = &corev1.SecurityContext{}
	}
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(owner+": securityContext: "+format, args...))
	}
	if !isTrue(first(c.RunAsNonRoot, pod.RunAsNonRoot)) {
		fail("runAsNonRoot must be true")
	}
	if uid := first(c.RunAsUser, pod.RunAsUser); uid == nil || *uid != 65534 {
		fail("runAsUser must be 65534 (the image's user)")
	}
	if c.AllowPrivilegeEscalation == nil || *c.AllowPrivilegeEscalation {
		fail("allowPrivilegeEscalation must be false")
	}
	if !isTrue(c.ReadOnlyRootFilesystem) {
		fail("readOnlyRootFilesystem must be true")
	}
	if c.Capabilities == nil || !slices.Contains(c.Capabilities.Drop, "ALL") || len(c.Capabilities.Add) > 0 {
		fail("capabilities must drop ALL and add none")
	}
	seccomp := first(c.SeccompProfile, pod.SeccompProfile)
	if seccomp == nil || seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault {
		fail("seccompProfile must be RuntimeDefault")
	}
	return errs
}

func first[T any](a, b *T) *T {
	if a != nil {
		return a
	}
	return b
}

func isTrue(b *bool) bool { return b != nil && *b }
