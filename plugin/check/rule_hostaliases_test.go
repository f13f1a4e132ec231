package check

import (
	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestHostAliases(t *testing.T) {
	runRuleCases(t, RuleHostAliases, HostAliases, []ruleCase{
		{name: "pass"},
		{name: "conf value does not parse",
			mutate: func(t *testing.T, r *Release) { r.Conf.Site.Set(contract.SiteHostAliases, "gold0=") },
			want:   []string{`ConfigMap/rel-conf [mr3-site.xml mr3.k8s.host.aliases]: mr3-site.xml mr3.k8s.host.aliases="gold0=": entry 1 "gold0=" has no IP address`}},
		{name: "pod lacks a conf host",
			mutate: func(t *testing.T, r *Release) {
				p := &drv(t, r, "spark1").Pod().Spec
				p.HostAliases = p.HostAliases[:1]
			},
			want: []string{"StatefulSet/spark1 [mr3-site.xml mr3.k8s.host.aliases]: mr3-site.xml mr3.k8s.host.aliases maps namenode to 10.1.90.20, but StatefulSet/spark1 spec.template.spec.hostAliases has no entry for namenode"}},
		{name: "same host different IP",
			mutate: func(t *testing.T, r *Release) { drv(t, r, "spark2").Pod().Spec.HostAliases[0].IP = "10.1.90.8" },
			want:   []string{"mr3.k8s.host.aliases maps gold0 to 10.1.90.9, but StatefulSet/spark2 spec.template.spec.hostAliases maps it to 10.1.90.8"}},
		{name: "pod host missing from conf",
			mutate: func(t *testing.T, r *Release) {
				p := &drv(t, r, "spark1").Pod().Spec
				p.HostAliases = append(p.HostAliases, corev1.HostAlias{IP: "10.0.0.7", Hostnames: []string{"extra"}})
			},
			want: []string{"StatefulSet/spark1 spec.template.spec.hostAliases maps extra to 10.0.0.7, but mr3-site.xml mr3.k8s.host.aliases has no entry for extra, so ContainerWorkers cannot resolve it"}},
		{name: "pod maps one host twice",
			mutate: func(t *testing.T, r *Release) {
				p := &drv(t, r, "spark1").Pod().Spec
				p.HostAliases = append(p.HostAliases, corev1.HostAlias{IP: "10.0.0.7", Hostnames: []string{"gold0"}})
			},
			want: []string{"spec.template.spec.hostAliases maps gold0 to both 10.1.90.9 and 10.0.0.7"}},
		{name: "pod alias IP invalid",
			mutate: func(t *testing.T, r *Release) {
				p := &drv(t, r, "spark1").Pod().Spec
				p.HostAliases = append(p.HostAliases, corev1.HostAlias{IP: "nope", Hostnames: []string{"x"}})
			},
			want: []string{`has ip "nope" for [x], which is not an IP address`}},
		{name: "outside file differs",
			mutate: func(t *testing.T, r *Release) { r.Conf.Outside.Set(contract.SiteHostAliases, "gold0=10.1.90.9") },
			want:   []string{`mr3-site-outside.xml mr3.k8s.host.aliases="gold0=10.1.90.9" differs from mr3-site.xml mr3.k8s.host.aliases="gold0=10.1.90.9,namenode=10.1.90.20"`}},
		{name: "outside file does not parse",
			mutate: func(t *testing.T, r *Release) { r.Conf.Outside.Set(contract.SiteHostAliases, "=1.1.1.1") },
			want:   []string{`mr3-site-outside.xml mr3.k8s.host.aliases="=1.1.1.1": entry 1`}},
		{name: "outside driver host not aliased",
			mutate: func(t *testing.T, r *Release) {
				r.OutsideHosts = []string{"gold0", "silver1"}
			},
			want: []string{"outside driver host silver1 (annotation sparkmr3.io/outside-driver-hosts) is not in mr3-site.xml mr3.k8s.host.aliases"}},
	})
}
