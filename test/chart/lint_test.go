package chart_test

import (
	"testing"

	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
)

// TestHelmLintStrict is `helm lint --strict` in-process: no warnings or errors, with the
// default values and with each ci scenario.
func TestHelmLintStrict(t *testing.T) {
	kube := &chartutil.KubeVersion{Version: "v1.37.2", Major: "1", Minor: "37"}
	for _, name := range append([]string{""}, scenarios...) {
		vals := map[string]any{}
		if name != "" {
			vals = ciValues(t, name)
		}
		l := lint.AllWithKubeVersion(chartDir, vals, namespace, kube)
		for _, m := range l.Messages {
			if m.Severity >= support.WarningSev {
				t.Errorf("lint (values %q): %s", name, m)
			}
		}
	}
}
