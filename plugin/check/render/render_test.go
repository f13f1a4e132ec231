package render

import (
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	kubefake "helm.sh/helm/v3/pkg/kube/fake"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage"
	"helm.sh/helm/v3/pkg/storage/driver"
	helmtime "helm.sh/helm/v3/pkg/time"
)

func TestChart(t *testing.T) {
	ch, err := loader.Load("../../../charts/spark-mr3")
	if err != nil {
		t.Skipf("chart not loadable: %v", err)
	}
	tests := []struct {
		name    string
		kv      string
		want    string
		wantErr string
	}{
		{name: "default version", want: "kind: StatefulSet"},
		{name: "too old for the chart", kv: "v1.20.0", wantErr: "render chart spark-mr3 for release rel"},
		{name: "bad version", kv: "banana", wantErr: `kube version "banana"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Chart(ch, map[string]any{"drivers": []any{map[string]any{"name": "spark1"}}}, ChartOptions{ReleaseName: "rel", Namespace: "ns1", KubeVersion: tt.kv})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !strings.Contains(m, tt.want) {
				t.Fatalf("Chart() error %v; manifest lacks %q", err, tt.want)
			}
		})
	}
}

func TestDeployed(t *testing.T) {
	cfg := &action.Configuration{Releases: storage.Init(driver.NewMemory()), KubeClient: &kubefake.PrintingKubeClient{}, Capabilities: chartutil.DefaultCapabilities, Log: func(string, ...any) {}}
	rel := &release.Release{Name: "rel", Namespace: "ns1", Version: 1, Manifest: "---\nkind: X\n",
		Info: &release.Info{Status: release.StatusDeployed, LastDeployed: helmtime.Time{Time: time.Now()}}}
	if err := cfg.Releases.Create(rel); err != nil {
		t.Fatal(err)
	}
	if m, err := Deployed(cfg, "rel"); err != nil || m != rel.Manifest {
		t.Fatalf("Deployed() = %q, %v", m, err)
	}
	if _, err := Deployed(cfg, "nope"); err == nil || !strings.Contains(err.Error(), "get release nope") {
		t.Fatalf("Deployed(nope) error = %v", err)
	}
}
