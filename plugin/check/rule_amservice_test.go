package check

import (
	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestAMService(t *testing.T) {
	runRuleCases(t, RuleAMService, AMService, []ruleCase{
		{name: "pass"},
		{name: "inside host is the service DNS name",
			mutate: func(t *testing.T, r *Release) { r.Conf.Site.Set(KeyAMServiceHost, "mr3.ns1.svc.cluster.local") }},
		{name: "node port for outside drivers",
			mutate: func(t *testing.T, r *Release) {
				r.AMService.Spec.Type = corev1.ServiceTypeNodePort
				r.AMService.Spec.ExternalIPs = nil
				r.AMService.Spec.Ports[0].NodePort = 30862
				r.Conf.Outside.Set(KeyAMServiceHost, "192.168.1.5")
				r.Conf.Outside.Set(KeyAMServicePort, "30862")
			}},
		{name: "no service",
			mutate: func(t *testing.T, r *Release) { r.AMService = nil },
			want:   []string{"the release has no DAGAppMaster Service"}},
		{name: "port differs",
			mutate: func(t *testing.T, r *Release) { r.Conf.Site.Set(KeyAMServicePort, "9999") },
			want:   []string{"Service/mr3 [mr3-site.xml mr3.k8s.am.service.port]: mr3-site.xml mr3.k8s.am.service.port=9999, but Service/mr3 spec.ports are [9862]"}},
		{name: "outside port differs",
			mutate: func(t *testing.T, r *Release) { r.Conf.Outside.Set(KeyAMServicePort, "9863") },
			want:   []string{"mr3-site-outside.xml mr3.k8s.am.service.port=9863, but Service/mr3 spec.ports are [9862]"}},
		{name: "port not a number",
			mutate: func(t *testing.T, r *Release) { r.Conf.Site.Set(KeyAMServicePort, "x") },
			want:   []string{`mr3-site.xml mr3.k8s.am.service.port: "x" is not an integer`}},
		{name: "selector not in master labels",
			mutate: func(t *testing.T, r *Release) { r.Conf.Site.Set(contract.SiteMasterLabels, "sparkmr3_app=am") },
			want:   []string{`Service/mr3 spec.selector has sparkmr3_app=mr3, but mr3-site.xml mr3.k8s.master.pod.additional.labels="sparkmr3_app=am" does not give the DAGAppMaster Pod that label`}},
		{name: "master labels do not parse",
			mutate: func(t *testing.T, r *Release) { r.Conf.Site.Set(contract.SiteMasterLabels, "sparkmr3_app") },
			want:   []string{`mr3.k8s.master.pod.additional.labels="sparkmr3_app": entry 1 "sparkmr3_app" has no '='`}},
		{name: "empty selector",
			mutate: func(t *testing.T, r *Release) { r.AMService.Spec.Selector = nil },
			want:   []string{"Service/mr3 has no selector"}},
		{name: "selector matches drivers",
			mutate: func(t *testing.T, r *Release) {
				r.AMService.Spec.Selector = map[string]string{"mr3-pod-role": "master-role"}
				r.Conf.Site.Set(contract.SiteMasterLabels, "mr3-pod-role=master-role")
			},
			want: []string{"also selects the Pods of driver StatefulSet/spark1", "also selects the Pods of driver StatefulSet/spark2"}},
		{name: "inside host unknown",
			mutate: func(t *testing.T, r *Release) { r.Conf.Site.Set(KeyAMServiceHost, "other.example.com") },
			want:   []string{"mr3-site.xml mr3.k8s.am.service.host=other.example.com is neither Service/mr3's DNS name nor one of its addresses [10.1.90.10]"}},
		{name: "outside host missing",
			mutate: func(t *testing.T, r *Release) { r.Conf.Outside.Delete(KeyAMServiceHost) },
			want:   []string{"mr3-site-outside.xml does not set mr3.k8s.am.service.host"}},
		{name: "outside host not exposed",
			mutate: func(t *testing.T, r *Release) { r.Conf.Outside.Set(KeyAMServiceHost, "10.1.90.11") },
			want:   []string{"mr3-site-outside.xml mr3.k8s.am.service.host=10.1.90.11, but Service/mr3 (type ClusterIP) is exposed only on [10.1.90.10]"}},
		{name: "load balancer IP",
			mutate: func(t *testing.T, r *Release) {
				r.AMService.Spec.Type = corev1.ServiceTypeLoadBalancer
				r.AMService.Spec.ExternalIPs = nil
				r.AMService.Spec.LoadBalancerIP = "10.1.90.11"
				r.Conf.Outside.Set(KeyAMServiceHost, "10.1.90.11")
			}},
	})
}
