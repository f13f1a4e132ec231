package chart_test

import (
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
)

// renderHelper evaluates one expression against the chart's helpers, by adding a probe
// template to the loaded chart in memory.
func renderHelper(t *testing.T, expr string) string {
	t.Helper()
	c := loadChart(t)
	c.Templates = append(c.Templates, &chart.File{Name: "templates/zz-probe.txt", Data: []byte(expr)})
	vals, err := chartutil.ToRenderValues(c, pinnedToken, chartutil.ReleaseOptions{Name: releaseName, Namespace: namespace, IsInstall: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := engine.Render(c, vals)
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return out["spark-mr3/templates/zz-probe.txt"]
}

func TestHelpers(t *testing.T) {
	cases := []struct{ expr, want string }{
		// Memory quantities in MiB; malformed ones are reported, never guessed.
		{`{{ include "spark-mr3.memoryMiB" "4Gi" }}`, "4096.000"},
		{`{{ include "spark-mr3.memoryMiB" "1536Mi" }}`, "1536.000"},
		{`{{ include "spark-mr3.memoryMiB" "2G" }}`, "1907.349"},
		{`{{ include "spark-mr3.memoryMiB" "1048576Ki" }}`, "1024.000"},
		{`{{ include "spark-mr3.memoryMiB" 1073741824.0 }}`, "1024.000"},
		{`{{ include "spark-mr3.memoryMiB" "4 GB" }}`, "INVALID"},
		{`{{ include "spark-mr3.memoryMiB" "4gi" }}`, "INVALID"},
		// CPU quantities in cores.
		{`{{ include "spark-mr3.cpuCores" "1500m" }}`, "1.500"},
		{`{{ include "spark-mr3.cpuCores" "2" }}`, "2.000"},
		{`{{ include "spark-mr3.cpuCores" 0.5 }}`, "0.500"},
		{`{{ include "spark-mr3.cpuCores" "2 cores" }}`, "INVALID"},
		// IPs.
		{`{{ include "spark-mr3.isIP" "10.1.90.9" }}`, "true"},
		{`{{ include "spark-mr3.isIP" "255.255.255.255" }}`, "true"},
		{`{{ include "spark-mr3.isIP" "256.1.1.1" }}`, ""},
		{`{{ include "spark-mr3.isIP" "10.1.90" }}`, ""},
		{`{{ include "spark-mr3.isIP" "fd00::1" }}`, "true"},
		{`{{ include "spark-mr3.isIP" "gold0" }}`, ""},
		// Numbers as config text: YAML floats print as integers when integral.
		{`{{ include "spark-mr3.str" 1048576.0 }}`, "1048576"},
		{`{{ include "spark-mr3.str" 0.75 }}`, "0.75"},
		{`{{ include "spark-mr3.str" true }}`, "true"},
		{`{{ include "spark-mr3.str" nil }}`, ""},
		// Escaping.
		{`{{ include "spark-mr3.xmlEscape" "a<b>&\"c'" }}`, "a&lt;b&gt;&amp;&quot;c&apos;"},
		{`{{ include "spark-mr3.shQuote" "it's" }}`, `'it'\''s'`},
		// Derived strings.
		{`{{ include "spark-mr3.masterLabelsConf" . }}`, "sparkmr3_app=demo-mr3"},
		{`{{ include "spark-mr3.amServiceName" . }}`, "demo-mr3"},
		{`{{ include "spark-mr3.driverObjectName" (dict "ctx" . "name" "spark1") }}`, "demo-spark1"},
		{`{{ include "spark-mr3.nodeReaderName" . }}`, "sparkmr3.demo-node-reader"},
		{`{{ include "spark-mr3.workDirClaim" . }}`, ""},
	}
	for _, tc := range cases {
		if got := strings.TrimSpace(renderHelper(t, tc.expr)); got != tc.want {
			t.Errorf("%s = %q, want %q", tc.expr, got, tc.want)
		}
	}
}
