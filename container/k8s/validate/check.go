package validate

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// pod is a pod spec with its labels: a Pod, or a Deployment's template.
type pod struct {
	owner         string
	labels        map[string]string
	spec          *corev1.PodSpec
	serviceBacked bool // a Deployment's: a Service sends it connections
}

// Check returns every problem found in the objects of one manifest file.
func Check(objs []any) []error {
	var errs []error
	var pods []pod
	for _, o := range objs {
		switch o := o.(type) {
		case *appsv1.Deployment:
			p := pod{"Deployment " + o.Name, o.Spec.Template.Labels, &o.Spec.Template.Spec, true}
			errs = append(errs, selectorMatches(p.owner, o.Spec.Selector, []pod{p})...)
			pods = append(pods, p)
		case *corev1.Pod:
			pods = append(pods, pod{"Pod " + o.Name, o.Labels, &o.Spec, false})
		}
	}
	for _, p := range pods {
		errs = append(errs, checkPod(p)...)
	}
	var policies []*networkingv1.NetworkPolicy
	for _, o := range objs {
		if np, ok := o.(*networkingv1.NetworkPolicy); ok {
			policies = append(policies, np)
		}
	}
	errs = append(errs, checkNetworkPolicies(policies, pods)...)
	for _, o := range objs {
		switch o := o.(type) {
		case *corev1.Service:
			errs = append(errs, checkService(o, pods)...)
		case *policyv1.PodDisruptionBudget:
			errs = append(errs, checkPDB(o, pods)...)
		}
	}
	return errs
}

// selectorMatches fails unless sel selects at least one of pods.
func selectorMatches(owner string, sel *metav1.LabelSelector, pods []pod) []error {
	if sel == nil {
		return []error{fmt.Errorf("%s: no selector", owner)}
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return []error{fmt.Errorf("%s: selector: %w", owner, err)}
	}
	if len(matching(s, pods)) == 0 {
		return []error{fmt.Errorf("%s: selector %s matches no pod template's labels", owner, s)}
	}
	return nil
}

func matching(s labels.Selector, pods []pod) []pod {
	var out []pod
	for _, p := range pods {
		if !s.Empty() && s.Matches(labels.Set(p.labels)) {
			out = append(out, p)
		}
	}
	return out
}

func checkService(svc *corev1.Service, pods []pod) []error {
	owner := "Service " + svc.Name
	selected := matching(labels.SelectorFromSet(svc.Spec.Selector), pods)
	if len(selected) == 0 {
		return []error{fmt.Errorf("%s: selector %v matches no pod template's labels", owner, svc.Spec.Selector)}
	}
	var errs []error
	for _, sp := range svc.Spec.Ports {
		for _, p := range selected {
			if !servesPort(p.spec, sp) {
				errs = append(errs, fmt.Errorf("%s: port %q (%s %d -> %s) names no %s container port of %s",
					owner, sp.Name, protocolOf(sp.Protocol), sp.Port, sp.TargetPort.String(), protocolOf(sp.Protocol), p.owner))
			}
		}
	}
	return errs
}

// servesPort reports whether a container of spec has the Service port's
// target (by name or number, default the port itself) with its protocol.
func servesPort(spec *corev1.PodSpec, sp corev1.ServicePort) bool {
	for _, c := range spec.Containers {
		for _, cp := range c.Ports {
			if protocolOf(cp.Protocol) != protocolOf(sp.Protocol) {
				continue
			}
			switch {
			case sp.TargetPort.String() == "0" && cp.ContainerPort == sp.Port,
				sp.TargetPort.IntValue() != 0 && cp.ContainerPort == int32(sp.TargetPort.IntValue()),
				sp.TargetPort.IntValue() == 0 && cp.Name != "" && cp.Name == sp.TargetPort.String():
				return true
			}
		}
	}
	return false
}

func checkPDB(pdb *policyv1.PodDisruptionBudget, pods []pod) []error {
	owner := "PodDisruptionBudget " + pdb.Name
	errs := selectorMatches(owner, pdb.Spec.Selector, pods)
	if (pdb.Spec.MinAvailable == nil) == (pdb.Spec.MaxUnavailable == nil) {
		errs = append(errs, fmt.Errorf("%s: set exactly one of minAvailable and maxUnavailable", owner))
	}
	return errs
}

// protocolOf is the protocol with the API's default, TCP.
func protocolOf(p corev1.Protocol) string {
	if p == "" {
		return string(corev1.ProtocolTCP)
	}
	return string(p)
}
