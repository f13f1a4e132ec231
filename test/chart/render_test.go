// Package chart_test renders charts/spark-mr3 in-process with the Helm v3 SDK (the same
// client-only dry-run install `helm template` performs) and checks the output: golden files
// for the scenarios in charts/spark-mr3/ci, the schema and template-fail rules, the token
// rules, and the cross-object invariants the plugin's checker relies on.
package chart_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	kubefake "helm.sh/helm/v3/pkg/kube/fake"
	"helm.sh/helm/v3/pkg/storage"
	"helm.sh/helm/v3/pkg/storage/driver"
	"sigs.k8s.io/yaml"

	"github.com/spark-mr3/spark-mr3/internal/golden"
)

const (
	chartDir    = "../../charts/spark-mr3"
	releaseName = "demo"
	namespace   = "sparkmr3"
	pinnedKey   = "00000000-1111-2222-3333-444444444444"
	pinnedTS    = "29526"
)

// pinnedToken makes renders reproducible: without it every install generates a new token.
var pinnedToken = map[string]any{"token": map[string]any{
	"clientToAMTokenKey":     pinnedKey,
	"applicationIdTimestamp": pinnedTS,
}}

func loadChart(t *testing.T) *chart.Chart {
	t.Helper()
	c, err := loader.Load(chartDir)
	if err != nil {
		t.Fatalf("load chart %s: %v", chartDir, err)
	}
	return c
}

// renderOpts are the knobs of one render.
type renderOpts struct {
	upgrade   bool   // IsUpgrade: .Release.IsInstall=false, as in `helm upgrade --dry-run` or `helm template --is-upgrade`
	release   string // release name; empty: releaseName
	namespace string // release namespace; empty: namespace
}

// render runs a client-only dry-run install (what `helm template` does) of the chart with the
// given values layered left to right, and returns manifests, hooks and NOTES as one text.
func render(t *testing.T, opts renderOpts, layers ...map[string]any) (string, error) {
	t.Helper()
	vals := map[string]any{}
	for _, l := range layers {
		vals = chartutil.CoalesceTables(deepCopy(t, l), vals)
	}
	cfg := &action.Configuration{
		Releases:     storage.Init(driver.NewMemory()),
		KubeClient:   &kubefake.PrintingKubeClient{Out: io.Discard},
		Capabilities: chartutil.DefaultCapabilities.Copy(),
		Log:          func(string, ...any) {},
	}
	inst := action.NewInstall(cfg)
	inst.DryRun = true
	inst.ClientOnly = true
	inst.Replace = true
	inst.IsUpgrade = opts.upgrade
	inst.ReleaseName = releaseName
	if opts.release != "" {
		inst.ReleaseName = opts.release
	}
	inst.Namespace = namespace
	if opts.namespace != "" {
		inst.Namespace = opts.namespace
	}
	inst.KubeVersion = &chartutil.KubeVersion{Version: "v1.37.2", Major: "1", Minor: "37"}
	rel, err := inst.Run(loadChart(t), vals)
	if err != nil {
		return "", err
	}
	var out bytes.Buffer
	out.WriteString(rel.Manifest)
	hooks := rel.Hooks
	sort.Slice(hooks, func(i, j int) bool { return hooks[i].Path < hooks[j].Path })
	for _, h := range hooks {
		fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", h.Path, h.Manifest)
	}
	fmt.Fprintf(&out, "---\n# NOTES.txt\n%s\n", commentOut(rel.Info.Notes))
	return out.String(), nil
}

func mustRender(t *testing.T, layers ...map[string]any) string {
	t.Helper()
	out, err := render(t, renderOpts{}, layers...)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	return out
}

func commentOut(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight("# "+l, " ")
	}
	return strings.Join(lines, "\n")
}

func deepCopy(t *testing.T, m map[string]any) map[string]any {
	t.Helper()
	b, err := yaml.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := yaml.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// ciValues reads charts/spark-mr3/ci/<name>-values.yaml (the files ct install uses).
func ciValues(t *testing.T, name string) map[string]any {
	t.Helper()
	path := filepath.Join(chartDir, "ci", name+"-values.yaml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	if m == nil {
		m = map[string]any{}
	}
	return m
}

// scenarios are the ci/*-values.yaml files, each with a golden rendering.
var scenarios = []string{"default", "outside-driver", "recovery-pv", "hostpath", "three-drivers"}

// renderOnly are golden scenarios without a ci file, because `ct install` could not get them
// ready on the test cluster. pvc-local-dirs: the drivers' volumeClaimTemplates ask a
// StorageClass for claims, and the test cluster has none, so the claims never bind and the
// driver Pods stay Pending.
var renderOnly = map[string]map[string]any{
	"pvc-local-dirs": {"localDirs": map[string]any{
		"type": "persistentVolumeClaim", "storageClassName": "local-ssd", "size": "20Gi",
		"paths": []any{"/opt/mr3-run/disk1", "/opt/mr3-run/disk2"}}},
}

// allScenarios: the ci scenarios, then the render-only ones.
func allScenarios() []string {
	out := append([]string(nil), scenarios...)
	var extra []string
	for name := range renderOnly {
		extra = append(extra, name)
	}
	sort.Strings(extra)
	return append(out, extra...)
}

// scenarioValues are the values of a scenario of allScenarios.
func scenarioValues(t *testing.T, name string) map[string]any {
	t.Helper()
	if v, ok := renderOnly[name]; ok {
		return deepCopy(t, v)
	}
	return ciValues(t, name)
}

func TestGolden(t *testing.T) {
	for _, name := range allScenarios() {
		t.Run(name, func(t *testing.T) {
			got := mustRender(t, scenarioValues(t, name), pinnedToken)
			golden.AssertString(t, filepath.Join("testdata", name+".golden.yaml"), got)
		})
	}
}

// TestCIFilesCovered keeps the golden scenarios and ci/ in step.
func TestCIFilesCovered(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(chartDir, "ci", "*-values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		got = append(got, strings.TrimSuffix(filepath.Base(f), "-values.yaml"))
	}
	want := append([]string(nil), scenarios...)
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("ci/*-values.yaml = %v, golden scenarios = %v: add a scenario for each ci file", got, want)
	}
}
