package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory" // the registry's storage: memory, gone with the test
	"github.com/sirupsen/logrus"

	"github.com/spark-mr3/spark-mr3/plugin/token"
	"github.com/spark-mr3/spark-mr3/test/cluster"
)

// startRegistry runs the distribution project's registry (the one behind `docker run
// registry`) in this process, in memory, on a loopback port; it stops with the test.
func startRegistry(t *testing.T) string {
	t.Helper()
	logrus.SetLevel(logrus.ErrorLevel) // the registry logs every request at info
	cfg := &configuration.Configuration{}
	cfg.Storage = configuration.Storage{"inmemory": configuration.Parameters{}}
	cfg.HTTP.Secret = "sparkmr3-e2e" // signs upload state; a fixed one keeps the registry quiet
	app := handlers.NewApp(context.Background(), cfg)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: app, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		_ = app.Shutdown()
	})
	return l.Addr().String()
}

// chartRelease runs hack/chart-release.sh (what `make chart-release` runs) for the chart in
// dir; it returns the script's output and the digest it reports.
func chartRelease(t *testing.T, registry, dir string, viaMake bool) (string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var cmd *exec.Cmd
	if viaMake {
		cmd = exec.CommandContext(ctx, "make", "-s", "chart-release", "CHART_REGISTRY="+registry)
	} else {
		cmd = exec.CommandContext(ctx, filepath.Join(repoRoot, "hack", "chart-release.sh"))
	}
	home := t.TempDir()
	cmd.Dir = repoRoot
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + home, "CHART_REGISTRY=" + registry, "CHART_DIR=" + dir,
		"SPARKMR3_TOOLS=" + cluster.ToolsDirFromEnv(), "ORAS=/nonexistent/oras",
		"HELM_CACHE_HOME=" + filepath.Join(home, "cache"), "HELM_CONFIG_HOME=" + filepath.Join(home, "config"),
		"HELM_DATA_HOME=" + filepath.Join(home, "data")}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %v\n%s", cmd.Args, err, out)
	}
	m := regexp.MustCompile(`(?m)^digest (sha256:[0-9a-f]{64})$`).FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("chart-release printed no digest:\n%s", out)
	}
	return string(out), m[1]
}

// chartVersionOf reads the version line of dir/Chart.yaml.
func chartVersionOf(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^version:\s*"?([^"\s]+)"?\s*$`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("%s/Chart.yaml has no version line", dir)
	}
	return string(m[1])
}

// bumpedChart copies the chart to a temporary directory with the next patch version.
func bumpedChart(t *testing.T, version string) (string, string) {
	t.Helper()
	parts := strings.SplitN(strings.SplitN(version, "-", 2)[0], ".", 3)
	patch, err := strconv.Atoi(parts[2])
	if len(parts) != 3 || err != nil {
		t.Fatalf("chart version %q is not MAJOR.MINOR.PATCH", version)
	}
	next := fmt.Sprintf("%s.%s.%d", parts[0], parts[1], patch+1)
	dst := filepath.Join(t.TempDir(), "spark-mr3")
	err = filepath.WalkDir(chartPath, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(chartPath, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if rel == "Chart.yaml" {
			b = regexp.MustCompile(`(?m)^version:.*$`).ReplaceAll(b, []byte("version: "+next))
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst, next
}

// releaseChart is the chart (name-version) helm records for release rel in ns.
func releaseChart(t *testing.T, h helmCLI, ns, rel string) string {
	t.Helper()
	out := h.mustRun(t, "list", "-n", ns, "-o", "json", "--filter", "^"+rel+"$")
	var list []struct{ Chart string }
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 {
		t.Fatalf("helm list -o json: %v\n%s", err, out)
	}
	return list[0].Chart
}

// TestOCIChartRelease publishes the chart the way a release does and installs it the ways a
// platform team does: `make chart-release` pushes the chart (version from Chart.yaml) to a
// real OCI registry on loopback, the script pushes a copy with the next patch version; then
// helm 3 installs by version, helm 4 by digest (a wrong digest is refused), `helm sparkmr3
// install` installs from oci:// and `helm sparkmr3 upgrade` moves the release to the newer
// version, keeping its token.
func TestOCIChartRelease(t *testing.T) {
	c := cluster.Shared(t)
	host := startRegistry(t)
	registry := "oci://" + host + "/charts"
	ref := registry + "/spark-mr3"

	version := chartVersionOf(t, chartPath)
	out, digest := chartRelease(t, registry, chartPath, true)
	if !strings.Contains(out, "pushed "+registry+"/spark-mr3:"+version) {
		t.Fatalf("make chart-release output:\n%s", out)
	}
	newer, next := bumpedChart(t, version)
	out, _ = chartRelease(t, registry, newer, false)
	if !strings.Contains(out, "pushed "+registry+"/spark-mr3:"+next) {
		t.Fatalf("chart-release of %s output:\n%s", next, out)
	}

	// helm 3: by version, over plain HTTP (loopback).
	h3 := newHelmCLI(t, c)
	ns3 := c.Namespace(t, nil)
	h3.mustRun(t, "install", "oci3", ref, "--version", version, "--plain-http", "-n", ns3)
	t.Cleanup(func() { _, _, _ = h3.run(t, "uninstall", "oci3", "-n", ns3) })
	if got := releaseChart(t, h3, ns3, "oci3"); got != "spark-mr3-"+version {
		t.Errorf("helm 3 installed %s, want spark-mr3-%s", got, version)
	}

	// No provenance file is pushed: helm's --verify cannot pass (docs/RELEASING.md says so).
	if _, errOut, err := h3.run(t, "pull", ref, "--version", version, "--plain-http", "--verify", "-d", t.TempDir()); err == nil {
		t.Errorf("helm pull --verify passed for a chart pushed without a provenance file")
	} else {
		t.Logf("helm pull --verify (expected to fail): %s", strings.TrimSpace(errOut))
	}

	// helm 4: pinned by digest; a digest that is not the chart's is refused.
	h4 := helmCLI{bin: cluster.Tool(t, "helm4"), kubeconfig: c.Kubeconfig(), home: t.TempDir()}
	ns4 := c.Namespace(t, nil)
	wrong := "sha256:" + strings.Repeat("0", 64)
	if _, errOut, err := h4.run(t, "install", "bad", ref+":"+version+"@"+wrong, "--plain-http", "-n", ns4); err == nil {
		t.Errorf("helm 4 installed a chart pinned to a digest it does not have")
	} else if !strings.Contains(errOut, "digest") {
		t.Errorf("helm 4 refused the wrong digest without naming it:\n%s", errOut)
	}
	h4.mustRun(t, "install", "oci4", ref+"@"+digest, "--plain-http", "-n", ns4)
	t.Cleanup(func() { _, _, _ = h4.run(t, "uninstall", "oci4", "-n", ns4) })
	if got := releaseChart(t, h4, ns4, "oci4"); got != "spark-mr3-"+version {
		t.Errorf("helm 4 installed %s by digest %s, want spark-mr3-%s", got, digest, version)
	}

	// helm sparkmr3: install from oci://, then upgrade to the newer version.
	hp := newPluginHelm(t, c, "helm4")
	nsp := c.Namespace(t, nil)
	t.Cleanup(func() { hp.run(t, "", "sparkmr3", "teardown", "ocip", "--yes", "-n", nsp) })
	out = hp.mustRun(t, "sparkmr3", "install", "ocip", ref, "--version", version, "--plain-http",
		"-n", nsp, "--set", "drivers[0].name=spark1", "--timeout", "120s")
	if !strings.Contains(out, "TOKEN: generated") || !strings.Contains(out, "READY") {
		t.Fatalf("helm sparkmr3 install from %s output:\n%s", ref, out)
	}
	cs := c.Client(t)
	tok, found, err := token.FindForRelease(context.Background(), cs, nsp, "ocip")
	if err != nil || !found {
		t.Fatalf("token Secret after install: found=%v err=%v", found, err)
	}
	asHelm := helmCLI{bin: hp.bin, kubeconfig: c.Kubeconfig(), home: t.TempDir()}
	if got := releaseChart(t, asHelm, nsp, "ocip"); got != "spark-mr3-"+version {
		t.Errorf("helm sparkmr3 installed %s, want spark-mr3-%s", got, version)
	}
	out = hp.mustRun(t, "sparkmr3", "upgrade", "ocip", ref, "--version", next, "--plain-http",
		"-n", nsp, "--reuse-values", "--timeout", "120s")
	if !strings.Contains(out, "TOKEN: kept") {
		t.Fatalf("helm sparkmr3 upgrade to %s output:\n%s", next, out)
	}
	if got := releaseChart(t, asHelm, nsp, "ocip"); got != "spark-mr3-"+next {
		t.Errorf("after helm sparkmr3 upgrade --version %s the release runs %s", next, got)
	}
	if got, _, err := token.FindForRelease(context.Background(), cs, nsp, "ocip"); err != nil || got != tok {
		t.Errorf("the upgrade from oci:// changed the token (timestamp %d -> %d, err %v)", tok.Timestamp, got.Timestamp, err)
	}

	// check reads the same reference, also pinned by digest; without --plain-http it says
	// what is missing.
	hp.mustRun(t, "sparkmr3", "check", ref, "--version", next, "--plain-http", "--set", "drivers[0].name=spark1")
	hp.mustRun(t, "sparkmr3", "check", ref+"@"+digest, "--plain-http", "--set", "drivers[0].name=spark1")
	_, errOut, code := hp.run(t, "", "sparkmr3", "check", ref, "--version", next)
	if code == 0 || !strings.Contains(errOut, "pass --plain-http") {
		t.Errorf("check over HTTPS against a plain-HTTP registry: exit %d\n%s", code, errOut)
	}
}

// TestOCIChartReleaseRefusesBadRegistry: `make chart-release` without CHART_REGISTRY, with a
// reference that is not oci://, or with a registry nobody serves fails before pushing and
// names the variable and the fix.
func TestOCIChartReleaseRefusesBadRegistry(t *testing.T) {
	closed := closedPort(t)
	for _, tc := range []struct{ registry, want string }{
		{"", "CHART_REGISTRY is not set"},
		{"https://" + closed + "/charts", "is not an OCI reference: write oci://HOST[:PORT]/PATH"},
		{"oci://" + closed, "names no repository path"},
		{"oci://" + closed + "/charts", "cannot reach the registry of CHART_REGISTRY=oci://" + closed + "/charts"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := exec.CommandContext(ctx, "make", "-s", "chart-release", "CHART_REGISTRY="+tc.registry)
		cmd.Dir = repoRoot
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "SPARKMR3_TOOLS=" + cluster.ToolsDirFromEnv()}
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		cancel()
		if err == nil || !strings.Contains(out.String(), tc.want) {
			t.Errorf("CHART_REGISTRY=%q: err %v, want %q in:\n%s", tc.registry, err, tc.want, out.String())
		}
	}
}
