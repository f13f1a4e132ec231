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

// renderChartWith renders the chart with the values file and then the values in set (dotted
// paths), as `helm template -f FILE --set …` would.
func renderChartWith(t *testing.T, valuesFile string, set map[string]any) string {
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
	for path, v := range set {
		m := map[string]any(vals)
		keys := strings.Split(path, ".")
		for _, k := range keys[:len(keys)-1] {
			next, ok := m[k].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[k] = next
			}
			m = next
		}
		m[keys[len(keys)-1]] = v
	}
	vals["token"] = map[string]any{"clientToAMTokenKey": testToken, "applicationIdTimestamp": testTimestamp}
	m, err := render.Chart(chrt, vals, render.ChartOptions{ReleaseName: "rel", Namespace: "ns1", KubeVersion: "v1.37.2"})
	if err != nil {
		t.Fatalf("render %s %v: %v", valuesFile, set, err)
	}
	return m
}

// TestChartEffectiveConfiguration: values the chart accepts but that make MR3's -D options
// disagree with the conf files (envSh.extraLines is free text), and options that must check
// clean (persistentVolumeClaim local dirs, a read-only root with the chart's writable dirs).
func TestChartEffectiveConfiguration(t *testing.T) {
	if _, err := os.Stat(filepath.Join(chartDir, "Chart.yaml")); err != nil {
		t.Skipf("chart not present: %v", err)
	}
	outside := filepath.Join(chartDir, "ci", "outside-driver-values.yaml")
	tests := []struct {
		name   string
		values string
		set    map[string]any
		want   [][]string // per violation in report order, substrings it must contain
	}{
		{name: "extraLines changes the namespace", set: map[string]any{"envSh.extraLines": "SPARK_MR3_NAMESPACE='other'"},
			want: [][]string{{"Secret/rel-env [mr3-site.xml mr3.k8s.namespace]: env.sh line ", ": SPARK_MR3_NAMESPACE='other' makes MR3's scripts pass -Dmr3.k8s.namespace=other, but mr3-site.xml (ConfigMap rel-conf) says ns1; MR3 uses other; fix: "}}},
		{name: "extraLines unsets the worker Secret", set: map[string]any{"envSh.extraLines": "unset SPARK_WORKER_SECRET"},
			want: [][]string{{"[mr3-site.xml mr3.k8s.worker.secret]: env.sh line ", " unsets SPARK_WORKER_SECRET, so MR3's scripts pass -Dmr3.k8s.worker.secret= (an empty value), but mr3-site.xml (ConfigMap rel-conf) says rel-worker; MR3 uses the empty value; fix: assign SPARK_WORKER_SECRET in env.sh"}}},
		{name: "metastore port changed", set: map[string]any{"hiveSite.enabled": true, "hiveSite.metastoreUris": "thrift://ms.hive:9083", "envSh.extraLines": "SPARK_METASTORE_PORT='1'"},
			want: [][]string{{"[hive-site.xml hive.metastore.uris]: env.sh line ", ": SPARK_METASTORE_HOST='ms.hive' and env.sh line ", ": SPARK_METASTORE_PORT='1' make MR3's scripts pass -Dhive.metastore.uris=thrift://ms.hive:1, but hive-site.xml (ConfigMap rel-conf) says thrift://ms.hive:9083; Spark's Hive client uses thrift://ms.hive:1; fix: set hiveSite.metastoreUris"}}},
		{name: "outside drivers see the same env.sh", values: outside, set: map[string]any{"envSh.extraLines": "CREATE_KEYTAB_SECRET=false"},
			want: [][]string{
				{"[mr3-site.xml mr3.k8s.mount.keytab.secret]: env.sh line ", ": CREATE_KEYTAB_SECRET='false' makes MR3's scripts pass -Dmr3.k8s.mount.keytab.secret=false, but mr3-site.xml (ConfigMap rel-conf) says true"},
				{"[mr3-site-outside.xml mr3.k8s.mount.keytab.secret]: env.sh line ", ": CREATE_KEYTAB_SECRET='false' makes MR3's scripts pass -Dmr3.k8s.mount.keytab.secret=false (drivers outside Kubernetes), but mr3-site-outside.xml (ConfigMap rel-conf) says true"}}},
		{name: "a blank in a value breaks the JVM options", set: map[string]any{"envSh.extraLines": "SPARK_DOCKER_USER='spark user'"},
			want: [][]string{{`Secret/rel-env [env.sh]: the driver's Java options contain the word "user" (a value with a blank is split there), which the JVM takes as its main class`, "SPARK_DOCKER_USER (env.sh line"}}},
		{name: "persistentVolumeClaim local dirs check clean", set: map[string]any{"localDirs.type": "persistentVolumeClaim"}},
		{name: "read-only root with the chart's writable dirs checks clean", set: map[string]any{"containerSecurityContext.readOnlyRootFilesystem": true}},
		{name: "read-only root with a work-dir PVC checks clean", values: filepath.Join(chartDir, "ci", "recovery-pv-values.yaml"), set: map[string]any{"containerSecurityContext.readOnlyRootFilesystem": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs, err := Manifest(strings.NewReader(renderChartWith(t, tt.values, tt.set)), manifest.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if len(vs) != len(tt.want) {
				t.Fatalf("%d violations, want %d:\n%s", len(vs), len(tt.want), lines(vs))
			}
			for i, ws := range tt.want {
				for _, w := range ws {
					if !strings.Contains(vs[i].String(), w) {
						t.Errorf("violation %d =\n  %s\nwant it to contain\n  %s", i, vs[i], w)
					}
				}
			}
		})
	}
}
