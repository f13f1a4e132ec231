package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	helmpostrender "helm.sh/helm/v3/pkg/postrender"
	"sigs.k8s.io/yaml"

	"github.com/spark-mr3/spark-mr3/plugin/check/render"
	"github.com/spark-mr3/spark-mr3/plugin/postrender"
	"github.com/spark-mr3/spark-mr3/test/cluster"
)

var renderSizes = []int{1, 10, 50, 100, 500}

// renderInProcess renders the chart like `helm template` (client-only dry-run install, helm's
// own SDK) with the values file, optionally post-rendered.
func renderInProcess(t *testing.T, chrt *chart.Chart, vals map[string]any, pr helmpostrender.PostRenderer) {
	if _, err := render.Chart(chrt, vals, render.ChartOptions{ReleaseName: "rel", Namespace: "bench", KubeVersion: "v1.37.2", PostRenderer: pr}); err != nil {
		t.Fatal(err)
	}
}

// noopPostRenderer returns helm's manifests unchanged: what helm itself spends on having a
// post-renderer (joining, handing over, splitting and sorting the result again).
type noopPostRenderer struct{}

func (noopPostRenderer) Run(in *bytes.Buffer) (*bytes.Buffer, error) { return in, nil }

func readValues(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// overlayDir is a kustomize overlay of the kind a platform team keeps per cluster: an
// annotation and a label on every object (the label on pod templates too) and the Spark
// image pinned to another tag. It touches every object.
func overlayDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	k := "resources:\n  - " + postrender.RenderedFile + "\ncommonAnnotations:\n  bench.sparkmr3.io/overlay: \"yes\"\n" +
		"labels:\n  - pairs:\n      example.com/team: spark\n    includeTemplates: true\n" +
		"images:\n  - name: mr3project/spark3\n    newTag: 3.5.2-bench\n"
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(k), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// timed runs f and returns its wall time.
func timed(f func()) time.Duration {
	start := time.Now()
	f()
	return time.Since(start)
}

// benchRender is P2: render + post-render against helm's own render, in process (helm's SDK,
// what `helm sparkmr3 install` does) and as commands (`helm template` with and without
// `--post-renderer helm-sparkmr3 postrender`), for 1…500 drivers, alternating.
func benchRender(t *testing.T, e *env, r *Report) {
	chrt, err := loader.Load(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	rules, err := postrender.New(postrender.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ovDir := overlayDir(t)
	overlay, err := postrender.New(postrender.Options{KustomizeDir: ovDir})
	if err != nil {
		t.Fatal(err)
	}
	if overlay.Engine() != "spark-mr3" {
		t.Fatalf("the bench overlay goes to %s", overlay.Engine())
	}
	// The same overlay through kustomize (SPARKMR3_OVERLAY=kustomize), for reference: what
	// an overlay package overlay does not apply (patches, name prefixes, …) costs.
	viaKustomize, err := postrender.New(postrender.Options{KustomizeDir: ovDir, KustomizeOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	// kustomize's own CLI (kubectl kustomize) on the same overlay, helm's output in a file: what
	// a user without the plugin would run; shows what kustomize itself costs.
	kDir := overlayDir(t)
	dir := t.TempDir()
	in := r.Section("P2", "render (+ post-render) in process, helm SDK, ms", "")
	cmd := r.Section("P2cli", "helm template (+ --post-renderer helm-sparkmr3 postrender) as commands, ms", "")
	for _, n := range renderSizes {
		path := valuesFile(t, dir, n, "", "")
		vals := readValues(t, path)
		// Repetitions: medians of commands move by ±20% run to run on this machine (docs).
		runs := 15
		switch n {
		case 50:
			runs = 25
		case 100:
			runs = 15
		case 500:
			runs = 7
		}
		helmRow := in.Row(fmt.Sprintf("%d drivers: helm render", n), "ms")
		noopRow := in.Row(fmt.Sprintf("%d drivers: helm render + a post-renderer that does nothing (helm's part, reference)", n), "ms")
		rulesRow := in.Row(fmt.Sprintf("%d drivers: helm render + post-render (rules)", n), "ms")
		overlayRow := in.Row(fmt.Sprintf("%d drivers: helm render + post-render (overlay + rules)", n), "ms")
		viaKustRow := in.Row(fmt.Sprintf("%d drivers: helm render + post-render (overlay via kustomize + rules)", n), "ms")
		tmplRow := cmd.Row(fmt.Sprintf("%d drivers: helm template", n), "ms")
		tmplPRRow := cmd.Row(fmt.Sprintf("%d drivers: helm template --post-renderer", n), "ms")
		tmplOvRow := cmd.Row(fmt.Sprintf("%d drivers: helm template --post-renderer (overlay)", n), "ms")
		kustRow := cmd.Row(fmt.Sprintf("%d drivers: helm template > file; kubectl kustomize (no rules)", n), "ms")
		args := []string{"template", "rel", e.chart, "-n", "bench", "-f", path, "--kube-version", "v1.37.2"}
		prArgs := append(append([]string{}, args...), "--post-renderer", e.plugin, "--post-renderer-args", "postrender")
		ovArgs := append(append([]string{}, prArgs...), "--post-renderer-args", "--kustomize="+ovDir)
		kustArgs := []string{"-c", fmt.Sprintf("%s %s > %s/%s && %s kustomize %s > /dev/null",
			e.helm3, strings.Join(args, " "), kDir, postrender.RenderedFile, e.kubectl, kDir)}
		// Each repetition runs every variant once, starting with a different one each time, so
		// that no variant always follows the same one; in process, each starts on a collected
		// heap (the collection is not timed), so none pays for the garbage of the one before.
		// A sample of a small render is the mean of a batch of renders (as `go test -bench`
		// does): one 20 ms render moves by ±30% from one run to the next, more than a
		// post-render costs.
		batch := 1
		if n <= 10 {
			batch = 5
		}
		inProcRow := func(row *Sample, pr helmpostrender.PostRenderer) func() {
			return func() {
				d := timed(func() {
					for range batch {
						renderInProcess(t, chrt, vals, pr)
					}
				})
				row.AddDuration(d / time.Duration(batch))
			}
		}
		inProc := []func(){
			inProcRow(helmRow, nil),
			inProcRow(noopRow, noopPostRenderer{}),
			inProcRow(rulesRow, rules),
			inProcRow(overlayRow, overlay),
			inProcRow(viaKustRow, viaKustomize),
		}
		cmds := []func(){
			func() { tmplRow.AddDuration(timed(func() { e.run(e.helm3, args) })) },
			func() { tmplPRRow.AddDuration(timed(func() { e.run(e.helm3, prArgs) })) },
			func() { tmplOvRow.AddDuration(timed(func() { e.run(e.helm3, ovArgs) })) },
			func() { kustRow.AddDuration(timed(func() { e.run("/bin/sh", kustArgs) })) },
		}
		for rep := range runs {
			for i := range inProc {
				runtime.GC()
				inProc[(rep+i)%len(inProc)]()
			}
			for i := range cmds {
				cmds[(rep+i)%len(cmds)]()
			}
		}
		ratio := func(a, b *Sample) float64 { return a.Median() / b.Median() }
		r.Check(Target{ID: "P2", What: fmt.Sprintf("%d drivers in process: (render + rules) / render", n), Got: ratio(rulesRow, helmRow), Limit: 1.25, Unit: "×"})
		r.Check(Target{ID: "P2", What: fmt.Sprintf("%d drivers in process: (render + overlay + rules) / render", n), Got: ratio(overlayRow, helmRow), Limit: 1.25, Unit: "×"})
		r.Check(Target{ID: "P2", What: fmt.Sprintf("%d drivers: helm template --post-renderer / helm template", n), Got: ratio(tmplPRRow, tmplRow), Limit: 1.5, Unit: "×"})
		r.Check(Target{ID: "P2", What: fmt.Sprintf("%d drivers: helm template --post-renderer (overlay) / helm template", n), Got: ratio(tmplOvRow, tmplRow), Limit: 1.5, Unit: "×"})
	}
	lin := func(row string) float64 {
		return in.Row("500 drivers: "+row, "ms").Median() / in.Row("50 drivers: "+row, "ms").Median()
	}
	r.Check(Target{ID: "P2", What: "linear: 500 / 50 drivers, render + rules", Got: lin("helm render + post-render (rules)"), Limit: 12, Unit: "×"})
	r.Check(Target{ID: "P2", What: "linear: 500 / 50 drivers, render + overlay + rules", Got: lin("helm render + post-render (overlay + rules)"), Limit: 12, Unit: "×"})
	cmd.Note = "Rows alternate run by run (each repetition starts with another variant). The overlay rows pass `--post-renderer-args --kustomize=DIR` (an annotation and a label on every object, the label on pod templates too, the Spark image retagged), which spark-mr3's own engine applies (package overlay); the kubectl kustomize row is kustomize's own CLI on the same overlay, without our rules, for reference."
	in.Note = "Rows alternate run by run (each repetition starts with another variant; each in-process sample starts on a collected heap and, for 1 and 10 drivers, is the mean of 5 renders). The in-process post-renderer is the one `helm sparkmr3 install` runs; the overlay (an annotation and a label on every object, the label on pod templates too, the Spark image retagged) is applied by spark-mr3's own engine (package overlay), and through kustomize in the \"via kustomize\" rows (SPARKMR3_OVERLAY=kustomize: what an overlay with patches costs), for reference."
}

// helmTemplate renders the chart with n drivers through helm 3, as a post-renderer gets it.
func helmTemplate(t *testing.T, e *env, n int) []byte {
	path := valuesFile(t, t.TempDir(), n, "", "")
	return e.run(e.helm3, []string{"template", "rel", e.chart, "-n", "bench", "-f", path, "--kube-version", "v1.37.2"})
}

// benchPeakRSS is P5: peak resident memory of `helm-sparkmr3 postrender` on 500 drivers.
func benchPeakRSS(t *testing.T, e *env, r *Report) {
	in := helmTemplate(t, e, 500)
	s := r.Section("P5", fmt.Sprintf("peak RSS (getrusage maxrss) of helm-sparkmr3 postrender, 500 drivers (%.1f MiB of manifests), MiB", float64(len(in))/(1<<20)), "")
	for range 5 {
		c := e.cmd(context.Background(), e.plugin, []string{"postrender"})
		c.Stdin = bytes.NewReader(in)
		var stderr bytes.Buffer
		c.Stdout, c.Stderr = io.Discard, &stderr
		if err := c.Run(); err != nil {
			t.Fatalf("postrender: %v\n%s", err, stderr.String())
		}
		ru := c.ProcessState.SysUsage().(*syscall.Rusage)
		s.Row("helm-sparkmr3 postrender", "MiB").Add(float64(ru.Maxrss) / 1024) // KiB on Linux
	}
	r.Check(Target{ID: "P5", What: "postrender peak RSS, 500 drivers (max)", Got: s.Row("helm-sparkmr3 postrender", "MiB").Max(), Limit: 150, Unit: "MiB"})
}

// benchStart is P3: process start of the plugin next to a trivial Go binary.
func benchStart(t *testing.T, e *env, r *Report) {
	trivial := buildTrivial(t)
	c := cluster.Shared(t)
	ns, drop := benchNamespace(t, c, c.Client(t))
	defer drop()
	dir := t.TempDir()
	e.run(e.helm3, []string{"install", "rel", e.chart, "--kubeconfig", c.Kubeconfig(), "-n", ns, "-f", valuesFile(t, dir, 1, "", "")})
	kenv := []string{"KUBECONFIG=" + c.Kubeconfig(), "HELM_NAMESPACE=" + ns}
	s := r.Section("P3", "process start to exit, ms", "trivial Go binary")
	cases := []struct {
		name string
		argv []string
	}{
		{"trivial Go binary", []string{trivial}},
		{"helm-sparkmr3 version", []string{e.plugin, "version"}},
		{"helm-sparkmr3 env RELEASE (one GET)", []string{e.plugin, "env", "rel"}},
		{"helm 3 version", []string{e.helm3, "version"}},
		{"kubectl version --client", []string{e.kubectl, "version", "--client"}},
	}
	for range 30 {
		for _, k := range cases {
			c := e.cmd(context.Background(), k.argv[0], k.argv[1:], kenv...)
			var out bytes.Buffer
			c.Stdout, c.Stderr = &out, &out
			d := timed(func() {
				if err := c.Run(); err != nil {
					t.Fatalf("%s: %v\n%s", strings.Join(k.argv, " "), err, out.String())
				}
			})
			s.Row(k.name, "ms").AddDuration(d)
		}
	}
	// P3 is no longer a target (issue 15: one binary for every verb): the table reports the
	// start times, with no limit.
}

func buildTrivial(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src := "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"trivial 1.0\") }\n"
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module trivial\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "trivial")
	c := exec.Command("go", "build", "-o", bin, ".")
	c.Dir = dir
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("build the trivial binary: %v\n%s", err, out)
	}
	return bin
}
