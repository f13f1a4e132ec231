package check

import (
	"testing"
)

func TestOutsideDriverKeys(t *testing.T) {
	runRuleCases(t, RuleOutsideKeys, OutsideDriverKeys, []ruleCase{
		{name: "pass"},
		{name: "no outside file, clean inside",
			mutate: func(t *testing.T, r *Release) { r.Conf.Outside = nil }},
		{name: "outside key inside",
			mutate: func(t *testing.T, r *Release) {
				r.Conf.Site.Set(KeyClientConfigFile, "~/.kube/config")
				r.Conf.Site.Set(KeyUseTokenCACert, "false")
			},
			want: []string{
				`ConfigMap/rel-conf [mr3-site.xml mr3.k8s.client.config.file]: mr3-site.xml sets mr3.k8s.client.config.file="~/.kube/config", a key only for drivers outside Kubernetes; drivers inside (2 in this release)`,
				"mr3-site.xml sets mr3.k8s.service.account.use.token.ca.cert.path",
			}},
		{name: "outside lacks everything",
			mutate: func(t *testing.T, r *Release) {
				r.Conf.Outside.Delete(KeyAPIServerURL)
				r.Conf.Outside.Delete(KeyClientConfigFile)
				r.Conf.Outside.Delete(KeyUseTokenCACert)
			},
			want: []string{
				"mr3-site-outside.xml does not set mr3.k8s.api.server.url",
				"mr3-site-outside.xml does not set mr3.k8s.client.config.file",
				`mr3-site-outside.xml mr3.k8s.service.account.use.token.ca.cert.path="", but outside drivers have no service-account token`,
			}},
		{name: "bad URL and true",
			mutate: func(t *testing.T, r *Release) {
				r.Conf.Outside.Set(KeyAPIServerURL, "10.1.90.9:6443")
				r.Conf.Outside.Set(KeyUseTokenCACert, "true")
			},
			want: []string{`mr3.k8s.api.server.url="10.1.90.9:6443" is not an http(s) URL with a host`, `use.token.ca.cert.path="true"`}},
	})
}
