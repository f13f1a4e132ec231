package check

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"github.com/spark-mr3/spark-mr3/plugin/mr3conf"
)

// OutsideDriverKeys: the Kubernetes client keys for drivers outside the cluster belong in
// mr3-site-outside.xml; set in mr3-site.xml they break drivers inside (which must use their
// service account).
func OutsideDriverKeys(r *Release) []Violation {
	if r.Conf == nil {
		return nil
	}
	c := r.Conf
	var out []Violation
	if c.Site != nil {
		for _, k := range []string{KeyAPIServerURL, KeyClientConfigFile, KeyUseTokenCACert} {
			if v, ok := c.Site.Get(k); ok {
				out = append(out, violation(RuleOutsideKeys, c.Object, siteKey(contract.FileMR3Site, k),
					fmt.Sprintf("%s sets %s=%q, a key only for drivers outside Kubernetes; drivers inside (%d in this release) must use their service account", contract.FileMR3Site, k, v, len(r.Drivers)),
					fmt.Sprintf("remove %s from %s; set it only in %s (outsideDrivers in the values)", k, contract.FileMR3Site, contract.FileMR3SiteOutside)))
			}
		}
	}
	o := c.Outside
	if o == nil {
		return out
	}
	if v, ok := o.Get(KeyAPIServerURL); !ok || strings.TrimSpace(v) == "" {
		out = append(out, violation(RuleOutsideKeys, c.Object, siteKey(contract.FileMR3SiteOutside, KeyAPIServerURL),
			fmt.Sprintf("%s does not set %s, so outside drivers do not know the API server", contract.FileMR3SiteOutside, KeyAPIServerURL),
			"set the API server URL for outside drivers, e.g. https://10.1.90.9:6443"))
	} else if u, err := url.Parse(strings.TrimSpace(v)); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		out = append(out, violation(RuleOutsideKeys, c.Object, siteKey(contract.FileMR3SiteOutside, KeyAPIServerURL),
			fmt.Sprintf("%s %s=%q is not an http(s) URL with a host", contract.FileMR3SiteOutside, KeyAPIServerURL, v),
			"write it as https://HOST:PORT"))
	}
	if v, ok := o.Get(KeyClientConfigFile); !ok || strings.TrimSpace(v) == "" {
		out = append(out, violation(RuleOutsideKeys, c.Object, siteKey(contract.FileMR3SiteOutside, KeyClientConfigFile),
			fmt.Sprintf("%s does not set %s, the kubeconfig outside drivers use", contract.FileMR3SiteOutside, KeyClientConfigFile),
			"set it, e.g. ~/.kube/config"))
	}
	v, ok := o.Get(KeyUseTokenCACert)
	if b, err := mr3conf.ParseBool(v); !ok || err != nil || b {
		out = append(out, violation(RuleOutsideKeys, c.Object, siteKey(contract.FileMR3SiteOutside, KeyUseTokenCACert),
			fmt.Sprintf("%s %s=%q, but outside drivers have no service-account token or CA file", contract.FileMR3SiteOutside, KeyUseTokenCACert, v),
			fmt.Sprintf("set %s to false in %s", KeyUseTokenCACert, contract.FileMR3SiteOutside)))
	}
	return out
}
