package chart_test

import (
	"testing"

	"github.com/spark-mr3/spark-mr3/plugin/mr3conf"
	"github.com/spark-mr3/spark-mr3/plugin/podsecurity"
)

// TestPodSecurityLevelOfMR3Pods: the level plugin/podsecurity says MR3's own Pods need, read
// from each scenario's rendered mr3-site.xml: baseline by default (no security context on the
// DAGAppMaster and ContainerWorkers), privileged with hostPath local dirs or worker sysctls.
func TestPodSecurityLevelOfMR3Pods(t *testing.T) {
	cases := []struct {
		name   string
		values map[string]any
		want   podsecurity.Level
	}{
		{"default", ciValues(t, "default"), podsecurity.Baseline},
		{"three-drivers", ciValues(t, "three-drivers"), podsecurity.Baseline},
		{"recovery-pv", ciValues(t, "recovery-pv"), podsecurity.Baseline},
		{"hostpath", ciValues(t, "hostpath"), podsecurity.Privileged},
		{"sysctls", map[string]any{"mr3": map[string]any{"workerSysctls": "net.core.somaxconn=16384"}}, podsecurity.Privileged},
		{"master hostpaths via extraProperties", map[string]any{"mr3": map[string]any{"extraProperties": map[string]any{"mr3.k8s.pod.master.hostpaths": "/logs"}}}, podsecurity.Privileged},
	}
	for _, tc := range cases {
		r := parseRelease(t, mustRender(t, tc.values, pinnedToken))
		site, err := mr3conf.ParseSite("mr3-site.xml", []byte(r.configMaps[releaseName+"-conf"].Data["mr3-site.xml"]))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := podsecurity.SettingsFromSite(site).Needed(); got != tc.want {
			t.Errorf("%s: MR3's Pods need %s, want %s", tc.name, got, tc.want)
		}
	}
}
