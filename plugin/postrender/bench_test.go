package postrender

import (
	"github.com/spark-mr3/spark-mr3/plugin/check/render"

	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	helmpostrender "helm.sh/helm/v3/pkg/postrender"
)

var driverCounts = []int{1, 10, 100, 500}

// BenchmarkPostRender is the post-renderer alone on generated manifests (linear in drivers).
func BenchmarkPostRender(b *testing.B) {
	for _, n := range driverCounts {
		in := genRelease(n)
		b.Run(fmt.Sprintf("drivers=%d", n), func(b *testing.B) {
			p, err := New(Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Run(bytes.NewBuffer(in)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

const chartDir = "../../charts/spark-mr3"

// chartInstall renders the real chart like `helm template` with n drivers, optionally
// post-rendered.
func chartInstall(b *testing.B, chrt *chart.Chart, n int, pr helmpostrender.PostRenderer) {
	drivers := make([]any, n)
	for i := range drivers {
		drivers[i] = map[string]any{"name": fmt.Sprintf("spark%d", i+1)}
	}
	vals := map[string]any{
		"drivers": drivers,
		"token":   map[string]any{"clientToAMTokenKey": "3f1c2b9e-6f0a-4a52-9d44-2a7d0c1e5b77", "applicationIdTimestamp": "4711"},
	}
	if _, err := render.Chart(chrt, vals, render.ChartOptions{ReleaseName: "rel", Namespace: "ns1", KubeVersion: "v1.37.2", PostRenderer: pr}); err != nil {
		b.Fatal(err)
	}
}

// benchOverlay writes the overlay of make bench's P2 (bench/render_test.go): an annotation and
// a label on every object (the label on pod templates too) and the Spark image retagged.
func benchOverlay(b *testing.B) string {
	dir := b.TempDir()
	k := "resources:\n  - " + RenderedFile + "\ncommonAnnotations:\n  bench.sparkmr3.io/overlay: \"yes\"\n" +
		"labels:\n  - pairs:\n      example.com/team: spark\n    includeTemplates: true\n" +
		"images:\n  - name: mr3project/spark3\n    newTag: 3.5.2-bench\n"
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(k), 0o644); err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkChartTemplate compares helm's client-only render of the real chart without and
// with the post-renderer (rules; overlay + rules): the P2 target is with ≤ 1.25 × without, in
// process.
func BenchmarkChartTemplate(b *testing.B) {
	if _, err := os.Stat(filepath.Join(chartDir, "Chart.yaml")); err != nil {
		b.Skipf("chart not present: %v", err)
	}
	chrt, err := loader.Load(chartDir)
	if err != nil {
		b.Fatal(err)
	}
	p, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	ov, err := New(Options{KustomizeDir: benchOverlay(b)})
	if err != nil {
		b.Fatal(err)
	}
	if ov.Engine() != "spark-mr3" {
		b.Fatalf("the overlay goes to %s", ov.Engine())
	}
	for _, n := range driverCounts {
		b.Run(fmt.Sprintf("drivers=%d/helm", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				chartInstall(b, chrt, n, nil)
			}
		})
		b.Run(fmt.Sprintf("drivers=%d/helm+postrender", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				chartInstall(b, chrt, n, p)
			}
		})
		b.Run(fmt.Sprintf("drivers=%d/helm+overlay+postrender", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				chartInstall(b, chrt, n, ov)
			}
		})
	}
}
