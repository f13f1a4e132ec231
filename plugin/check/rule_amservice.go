package check

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"github.com/spark-mr3/spark-mr3/plugin/mr3conf"
)

// AMService: the DAGAppMaster Service's port equals mr3.k8s.am.service.port, its selector is
// a subset of mr3.k8s.master.pod.additional.labels (and selects no driver), and the address
// outside drivers use (mr3-site-outside.xml mr3.k8s.am.service.host/port) reaches it.
func AMService(r *Release) []Violation {
	if r.Conf == nil || r.Conf.Site == nil {
		return nil
	}
	c := r.Conf
	s := r.AMService
	if s == nil {
		return []Violation{violation(RuleAMService, c.Object, "Service/"+contract.DefaultAMServiceName,
			fmt.Sprintf("the release has no DAGAppMaster Service (labelled %s=am-service or named %s), which %s %s/%s describe", contract.LabelComponent, contract.DefaultAMServiceName, contract.FileMR3Site, KeyAMServiceHost, KeyAMServicePort),
			"render the am-service template (do not remove it in an overlay)")}
	}
	var out []Violation
	svc := s.String()
	ports := make([]string, 0, len(s.Spec.Ports))
	for _, p := range s.Spec.Ports {
		ports = append(ports, strconv.Itoa(int(p.Port)))
	}
	checkPort := func(file string, site *mr3conf.Site) {
		raw, ok := site.Get(KeyAMServicePort)
		if !ok {
			return
		}
		p, err := mr3conf.ParseInt(raw)
		if err != nil {
			out = append(out, violation(RuleAMService, s.Ref, siteKey(file, KeyAMServicePort), fmt.Sprintf("%s %s: %v", file, KeyAMServicePort, err), "set it to the Service port, e.g. 9862"))
			return
		}
		if slices.ContainsFunc(s.Spec.Ports, func(sp corev1.ServicePort) bool { return sp.Port == p || sp.NodePort == p }) {
			return
		}
		out = append(out, violation(RuleAMService, s.Ref, siteKey(file, KeyAMServicePort),
			fmt.Sprintf("%s %s=%d, but %s spec.ports are [%s]", file, KeyAMServicePort, p, svc, strings.Join(ports, ",")),
			fmt.Sprintf("use one port: set amService.port and %s together", KeyAMServicePort)))
	}
	checkPort(contract.FileMR3Site, c.Site)

	// Selector ↔ master labels.
	rawLabels, _ := c.Site.Get(contract.SiteMasterLabels)
	labels, err := mr3conf.ParseLabels(rawLabels)
	switch {
	case err != nil:
		out = append(out, violation(RuleAMService, c.Object, siteKey(contract.FileMR3Site, contract.SiteMasterLabels),
			fmt.Sprintf("%s %s=%q: %v", contract.FileMR3Site, contract.SiteMasterLabels, rawLabels, err), "set it as key=value,key2=value2 (masterLabels in the values)"))
	case len(s.Spec.Selector) == 0:
		out = append(out, violation(RuleAMService, s.Ref, "spec.selector",
			fmt.Sprintf("%s has no selector, so it routes to nothing; %s %s=%q are the DAGAppMaster's labels", svc, contract.FileMR3Site, contract.SiteMasterLabels, rawLabels),
			"set the Service selector to the master labels (masterLabels in the values)"))
	default:
		m := mr3conf.LabelMap(labels)
		for _, k := range sortedKeys(s.Spec.Selector) {
			if v, ok := m[k]; !ok || v != s.Spec.Selector[k] {
				out = append(out, violation(RuleAMService, s.Ref, siteKey(contract.FileMR3Site, contract.SiteMasterLabels),
					fmt.Sprintf("%s spec.selector has %s=%s, but %s %s=%q does not give the DAGAppMaster Pod that label, so the Service selects no Pod",
						svc, k, s.Spec.Selector[k], contract.FileMR3Site, contract.SiteMasterLabels, rawLabels),
					"render both from masterLabels in the values; an overlay must change both"))
			}
		}
		for _, d := range r.Drivers {
			if selects(s.Spec.Selector, d.Pod().Labels) {
				out = append(out, violation(RuleAMService, s.Ref, "spec.selector",
					fmt.Sprintf("%s spec.selector %s also selects the Pods of driver %s (labels %s), so DAGAppMaster traffic may reach a driver",
						svc, formatLabels(s.Spec.Selector), d, formatLabels(d.Pod().Labels)),
					"use master labels no driver carries (the default sparkmr3_app=mr3; drivers are never named mr3)"))
			}
		}
	}

	// Inside: a host, if set, must name this Service or one of its addresses.
	if raw, ok := c.Site.Get(KeyAMServiceHost); ok && strings.TrimSpace(raw) != "" {
		host := strings.TrimSpace(raw)
		if !serviceAddress(s, host, true) {
			out = append(out, violation(RuleAMService, s.Ref, siteKey(contract.FileMR3Site, KeyAMServiceHost),
				fmt.Sprintf("%s %s=%s is neither %s's DNS name nor one of its addresses %v", contract.FileMR3Site, KeyAMServiceHost, host, svc, addresses(s)),
				fmt.Sprintf("leave %s unset in %s (drivers inside Kubernetes do not need it) or use the Service's name", KeyAMServiceHost, contract.FileMR3Site)))
		}
	}

	// Outside: the host must be an address the Service is exposed on.
	if o := c.Outside; o != nil {
		checkPort(contract.FileMR3SiteOutside, o)
		raw, _ := o.Get(KeyAMServiceHost)
		host := strings.TrimSpace(raw)
		switch {
		case host == "":
			out = append(out, violation(RuleAMService, c.Object, siteKey(contract.FileMR3SiteOutside, KeyAMServiceHost),
				fmt.Sprintf("%s does not set %s, so drivers outside Kubernetes cannot find the DAGAppMaster behind %s", contract.FileMR3SiteOutside, KeyAMServiceHost, svc),
				"set amService.externalIPs (or a load-balancer IP) and let the chart write it"))
		case !serviceAddress(s, host, false) && !exposedByNodePort(s, o):
			out = append(out, violation(RuleAMService, s.Ref, siteKey(contract.FileMR3SiteOutside, KeyAMServiceHost),
				fmt.Sprintf("%s %s=%s, but %s (type %s) is exposed only on %v", contract.FileMR3SiteOutside, KeyAMServiceHost, host, svc, serviceType(s), addresses(s)),
				fmt.Sprintf("add %s to the Service's externalIPs (amService.externalIPs) or point %s at one of them", host, KeyAMServiceHost)))
		}
	}
	return out
}

func serviceType(s *Service) corev1.ServiceType {
	if s.Spec.Type == "" {
		return corev1.ServiceTypeClusterIP
	}
	return s.Spec.Type
}

func addresses(s *Service) []string {
	a := slices.Clone(s.Spec.ExternalIPs)
	if s.Spec.LoadBalancerIP != "" {
		a = append(a, s.Spec.LoadBalancerIP)
	}
	for _, in := range s.Status.LoadBalancer.Ingress {
		if in.IP != "" {
			a = append(a, in.IP)
		}
		if in.Hostname != "" {
			a = append(a, in.Hostname)
		}
	}
	if a == nil {
		a = []string{}
	}
	return a
}

func serviceAddress(s *Service, host string, inside bool) bool {
	if slices.Contains(addresses(s), host) {
		return true
	}
	if !inside {
		return false
	}
	if host == s.Spec.ClusterIP || host == s.Name {
		return true
	}
	// name.<namespace>[.svc[.cluster.local]]
	rest, ok := strings.CutPrefix(host, s.Name+".")
	return ok && !strings.Contains(strings.TrimSuffix(strings.TrimSuffix(rest, ".svc.cluster.local"), ".svc"), ".")
}

// exposedByNodePort: outside drivers may use any node's IP with the node port; the IP cannot
// be checked from manifests, the port can.
func exposedByNodePort(s *Service, o *mr3conf.Site) bool {
	t := serviceType(s)
	if t != corev1.ServiceTypeNodePort && t != corev1.ServiceTypeLoadBalancer {
		return false
	}
	raw, ok := o.Get(KeyAMServicePort)
	if !ok {
		return false
	}
	p, err := mr3conf.ParseInt(raw)
	return err == nil && slices.ContainsFunc(s.Spec.Ports, func(sp corev1.ServicePort) bool { return sp.NodePort != 0 && sp.NodePort == p })
}
