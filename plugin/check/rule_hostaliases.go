package check

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"github.com/spark-mr3/spark-mr3/plugin/mr3conf"
)

// HostAliases: every host=ip of mr3.k8s.host.aliases (what ContainerWorkers resolve) is in
// each driver Pod's hostAliases with the same IP and vice versa; mr3-site-outside.xml, when
// present, lists the same aliases.
func HostAliases(r *Release) []Violation {
	if r.Conf == nil || r.Conf.Site == nil {
		return nil
	}
	c := r.Conf
	const fixOne = "set the alias once in the values list hostAliases (the chart renders mr3.k8s.host.aliases and every driver's hostAliases from it); an overlay must edit both"
	raw, _ := c.Site.Get(contract.SiteHostAliases)
	conf, err := mr3conf.ParseHostAliases(raw)
	if err != nil {
		return []Violation{violation(RuleHostAliases, c.Object, siteKey(contract.FileMR3Site, contract.SiteHostAliases),
			fmt.Sprintf("%s %s=%q: %v", contract.FileMR3Site, contract.SiteHostAliases, raw, err), fixOne)}
	}
	confIP := map[string]netip.Addr{}
	for _, a := range conf {
		confIP[a.Host] = a.IP
	}
	var out []Violation
	if c.Outside != nil {
		rawOut, _ := c.Outside.Get(contract.SiteHostAliases)
		outside, err := mr3conf.ParseHostAliases(rawOut)
		switch {
		case err != nil:
			out = append(out, violation(RuleHostAliases, c.Object, siteKey(contract.FileMR3SiteOutside, contract.SiteHostAliases),
				fmt.Sprintf("%s %s=%q: %v", contract.FileMR3SiteOutside, contract.SiteHostAliases, rawOut, err), fixOne))
		case mr3conf.FormatHostAliases(sortedAliases(outside)) != mr3conf.FormatHostAliases(sortedAliases(conf)):
			out = append(out, violation(RuleHostAliases, c.Object, siteKey(contract.FileMR3SiteOutside, contract.SiteHostAliases),
				fmt.Sprintf("%s %s=%q differs from %s %s=%q; drivers outside and inside Kubernetes share one DAGAppMaster, whose ContainerWorkers get the aliases of whichever driver started it",
					contract.FileMR3SiteOutside, contract.SiteHostAliases, rawOut, contract.FileMR3Site, contract.SiteHostAliases, raw), fixOne))
		}
	}
	for _, h := range r.OutsideHosts {
		if _, ok := confIP[h]; !ok {
			out = append(out, violation(RuleHostAliases, c.Object, siteKey(contract.FileMR3Site, contract.SiteHostAliases),
				fmt.Sprintf("outside driver host %s (annotation %s) is not in %s %s=%q, so executors cannot reach drivers on it (java.net.UnknownHostException)",
					h, contract.AnnotationOutsideHosts, contract.FileMR3Site, contract.SiteHostAliases, raw),
				fmt.Sprintf("add {ip: <address of %s>, hostnames: [%s]} to the values list hostAliases", h, h)))
		}
	}
	for _, d := range r.Drivers {
		field := d.String() + " spec.template.spec.hostAliases"
		podIP := map[string]netip.Addr{}
		var podHosts []string
		for _, ha := range d.Pod().Spec.HostAliases {
			ip, err := netip.ParseAddr(ha.IP)
			if err != nil {
				out = append(out, violation(RuleHostAliases, d.Object, "spec.template.spec.hostAliases",
					fmt.Sprintf("%s has ip %q for %v, which is not an IP address", field, ha.IP, ha.Hostnames), fixOne))
				continue
			}
			for _, h := range ha.Hostnames {
				if prev, dup := podIP[h]; dup && prev != ip {
					out = append(out, violation(RuleHostAliases, d.Object, "spec.template.spec.hostAliases",
						fmt.Sprintf("%s maps %s to both %s and %s", field, h, prev, ip), fixOne))
					continue
				}
				if _, dup := podIP[h]; !dup {
					podHosts = append(podHosts, h)
				}
				podIP[h] = ip
			}
		}
		for _, a := range conf {
			ip, ok := podIP[a.Host]
			switch {
			case !ok:
				out = append(out, violation(RuleHostAliases, d.Object, siteKey(contract.FileMR3Site, contract.SiteHostAliases),
					fmt.Sprintf("%s %s maps %s to %s, but %s has no entry for %s, so the driver cannot resolve a host its executors can",
						contract.FileMR3Site, contract.SiteHostAliases, a.Host, a.IP, field, a.Host), fixOne))
			case ip != a.IP:
				out = append(out, violation(RuleHostAliases, d.Object, siteKey(contract.FileMR3Site, contract.SiteHostAliases),
					fmt.Sprintf("%s %s maps %s to %s, but %s maps it to %s", contract.FileMR3Site, contract.SiteHostAliases, a.Host, a.IP, field, ip), fixOne))
			}
		}
		for _, h := range podHosts {
			if _, ok := confIP[h]; !ok {
				out = append(out, violation(RuleHostAliases, d.Object, siteKey(contract.FileMR3Site, contract.SiteHostAliases),
					fmt.Sprintf("%s maps %s to %s, but %s %s has no entry for %s, so ContainerWorkers cannot resolve it (java.net.UnknownHostException)",
						field, h, podIP[h], contract.FileMR3Site, contract.SiteHostAliases, h), fixOne))
			}
		}
	}
	return out
}

func sortedAliases(a []mr3conf.HostAlias) []mr3conf.HostAlias {
	s := slices.Clone(a)
	slices.SortFunc(s, func(x, y mr3conf.HostAlias) int { return strings.Compare(x.Host, y.Host) })
	return s
}
