package check

import (
	"github.com/spark-mr3/spark-mr3/plugin/check/render"

	"os"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/spark-mr3/spark-mr3/plugin/manifest"
)

const chartDir = "../../charts/spark-mr3"

// Pinned token values, as helm sparkmr3 install passes them.
const (
	testToken     = "3f1c2b9e-6f0a-4a52-9d44-2a7d0c1e5b77"
	testTimestamp = "4711"
)

// renderChart renders the chart in-process like `helm template` (a client-only dry-run
// install) with the values file and the pinned token, and returns the manifest.
func renderChart(t testing.TB, valuesFile string) string {
	t.Helper()
	chrt, err := loader.Load(chartDir)
	if err != nil {
		t.Fatalf("load chart: %v", err)
	}
	vals := chartutil.Values{}
	if valuesFile != "" {
		if vals, err = chartutil.ReadValuesFile(valuesFile); err != nil {
			t.Fatal(err)
		}
	}
	vals["token"] = map[string]any{"clientToAMTokenKey": testToken, "applicationIdTimestamp": testTimestamp}
	m, err := render.Chart(chrt, vals, render.ChartOptions{ReleaseName: "rel", Namespace: "ns1", KubeVersion: "v1.37.2"})
	if err != nil {
		t.Fatalf("render %s: %v", valuesFile, err)
	}
	return m
}

// TestChartCIValuesPass renders the real chart for each ci/*-values.yaml and requires zero
// violations: the chart and the rules agree.
func TestChartCIValuesPass(t *testing.T) {
	if _, err := os.Stat(filepath.Join(chartDir, "Chart.yaml")); err != nil {
		t.Skipf("chart not present: %v", err)
	}
	files, err := filepath.Glob(filepath.Join(chartDir, "ci", "*-values.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no ci values files: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			m := renderChart(t, f)
			r, err := ReadRelease(strings.NewReader(m), manifest.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Drivers) == 0 || r.Conf == nil || r.Token == nil || r.AMService == nil {
				t.Fatalf("chart output not recognised: drivers=%d conf=%v token=%v am=%v", len(r.Drivers), r.Conf != nil, r.Token != nil, r.AMService != nil)
			}
			if vs := Run(r, nil); len(vs) > 0 {
				t.Errorf("the chart with %s breaks %d rule(s):\n%s", filepath.Base(f), len(vs), lines(vs))
			}
		})
	}
}

// TestChartHandEditsAreCaught edits the real chart's output the way a hand edit or overlay
// might and expects the rules to notice: proof that the zero above is not vacuous.
func TestChartHandEditsAreCaught(t *testing.T) {
	if _, err := os.Stat(filepath.Join(chartDir, "Chart.yaml")); err != nil {
		t.Skipf("chart not present: %v", err)
	}
	m := renderChart(t, filepath.Join(chartDir, "ci", "outside-driver-values.yaml"))
	tests := []struct {
		name, old, new string
		rule           string
	}{
		{"driver port", "- name: SPARK_DRIVER_PORT\n              value: \"9850\"", "- name: SPARK_DRIVER_PORT\n              value: \"9851\"", RuleDriverPorts},
		{"host alias ip", "  ip: 10.1.90.9\n", "  ip: 10.1.90.99\n", RuleHostAliases},
		{"recovery key dropped", "<name>mr3.dag.recovery.enabled</name>", "<name>mr3.dag.recovery.enabledx</name>", RuleDAGRecovery},
		{"token literal", "key: CLIENT_TO_AM_TOKEN_KEY\n", "key: CLIENT_TO_AM_TOKEN_KEY\n            - name: LEAK\n              value: " + testToken + "\n", RuleToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(m, tt.old) {
				t.Fatalf("chart output lacks %q", tt.old)
			}
			vs, err := Manifest(strings.NewReader(strings.Replace(m, tt.old, tt.new, 1)), manifest.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, v := range vs {
				found = found || v.Rule == tt.rule
			}
			if !found {
				t.Errorf("no %s violation after the edit; got:\n%s", tt.rule, lines(vs))
			}
		})
	}
}
