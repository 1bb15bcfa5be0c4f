package validate

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// checkNetworkPolicies wants every pod a Service sends connections to
// selected by a NetworkPolicy that denies all egress (Egress in its
// policyTypes and no egress rule) and admits ingress only to ports its
// containers declare (by name or number, with their protocol); and no
// policy that selects nothing.
func checkNetworkPolicies(policies []*networkingv1.NetworkPolicy, pods []pod) []error {
	var errs []error
	covered := map[string]bool{}
	for _, np := range policies {
		owner := "NetworkPolicy " + np.Name
		errs = append(errs, selectorMatches(owner, &np.Spec.PodSelector, pods)...)
		sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
		if err != nil {
			continue
		}
		if !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) || len(np.Spec.Egress) > 0 {
			errs = append(errs, fmt.Errorf("%s: must deny all egress (policyTypes with Egress, no egress rule)", owner))
		}
		if !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) {
			errs = append(errs, fmt.Errorf("%s: policyTypes must hold Ingress", owner))
		}
		selected := matching(sel, pods)
		for _, rule := range np.Spec.Ingress {
			if len(rule.Ports) == 0 {
				errs = append(errs, fmt.Errorf("%s: an ingress rule without ports admits every port", owner))
			}
			for _, p := range rule.Ports {
				for _, sp := range selected {
					if !declaresPort(sp.spec, p) {
						errs = append(errs, fmt.Errorf("%s: ingress port %s/%s is no container port of %s", owner, protocolOf(deref(p.Protocol)), portString(p.Port), sp.owner))
					}
				}
			}
		}
		for _, sp := range selected {
			if !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) || len(np.Spec.Egress) > 0 {
				continue
			}
			covered[sp.owner] = true
		}
	}
	for _, p := range pods {
		if p.serviceBacked && !covered[p.owner] {
			errs = append(errs, fmt.Errorf("%s: no NetworkPolicy denies its egress", p.owner))
		}
	}
	return errs
}

// declaresPort reports whether a container of spec declares the policy
// port (a name, or a number) with its protocol.
func declaresPort(spec *corev1.PodSpec, p networkingv1.NetworkPolicyPort) bool {
	if p.Port == nil || p.EndPort != nil {
		return false // every port, or a range: more than the server serves
	}
	for _, c := range spec.Containers {
		for _, cp := range c.Ports {
			if protocolOf(cp.Protocol) != protocolOf(deref(p.Protocol)) {
				continue
			}
			if p.Port.Type == intstr.String && cp.Name == p.Port.StrVal || p.Port.Type == intstr.Int && cp.ContainerPort == p.Port.IntVal {
				return true
			}
		}
	}
	return false
}

func deref(p *corev1.Protocol) corev1.Protocol {
	if p == nil {
		return ""
	}
	return *p
}

func portString(p *intstr.IntOrString) string {
	if p == nil {
		return "(every port)"
	}
	return p.String()
}
