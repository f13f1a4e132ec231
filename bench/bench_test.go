package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/spark-mr3/spark-mr3/test/cluster"
)

// EnvBench turns the harness on: `make bench` sets it. Without it TestReport skips, so
// `go test ./...` stays fast and never times anything.
const EnvBench = "SPARKMR3_BENCH"

func TestMain(m *testing.M) { os.Exit(cluster.Main(m)) }

const chartDir = "../charts/spark-mr3"

// env is what every benchmark shares: tools, the plugin binary, a private HOME for helm.
type env struct {
	t       *testing.T
	plugin  string // helm-sparkmr3 built from this tree
	helm3   string
	helm4   string
	kubectl string
	home    string // HOME for helm and kubectl (nothing touches the user's)
	chart   string // absolute chart dir
	trials  int
}

func newEnv(t *testing.T) *env {
	t.Helper()
	chart, err := filepath.Abs(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, helm3: cluster.Tool(t, "helm3"), helm4: cluster.Tool(t, "helm4"), kubectl: cluster.Tool(t, "kubectl"),
		home: t.TempDir(), chart: chart, trials: 30}
	if n, err := strconv.Atoi(os.Getenv("SPARKMR3_BENCH_TRIALS")); err == nil && n > 0 {
		e.trials = n
	}
	e.plugin = os.Getenv("SPARKMR3_BENCH_PLUGIN")
	if e.plugin == "" {
		dir := t.TempDir()
		e.plugin = filepath.Join(dir, "helm-sparkmr3")
		build := exec.Command("go", "build", "-o", e.plugin, "github.com/spark-mr3/spark-mr3/cmd/helm-sparkmr3")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("build the plugin: %v\n%s", err, out)
		}
	}
	return e
}

// cmd is a tool invocation with a clean environment: private HOME, the given extra variables.
func (e *env) cmd(ctx context.Context, name string, args []string, extra ...string) *exec.Cmd {
	c := exec.CommandContext(ctx, name, args...)
	c.Env = append([]string{"HOME=" + e.home, "PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C"}, extra...)
	return c
}

// run runs a tool and fails the test on error.
func (e *env) run(name string, args []string, extra ...string) []byte {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := e.cmd(ctx, name, args, extra...)
	var stderr bytes.Buffer
	c.Stderr = &stderr
	out, err := c.Output()
	if err != nil {
		e.t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// valuesFile writes the values every tool gets: n drivers (spark1…), a pinned token, small
// driver resources, and optionally a nodeSelector (the gate of P1) and a submit command.
func valuesFile(t *testing.T, dir string, n int, gate, submit string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("token:\n  clientToAMTokenKey: bench-token-3f1c2b9e-6f0a-4a52\n  applicationIdTimestamp: \"4711\"\n")
	b.WriteString("driverDefaults:\n  cores: 1\n  memoryMb: 400\n")
	b.WriteString("  resources:\n    requests: {cpu: 10m, memory: 512Mi}\n    limits: {cpu: \"1\", memory: 512Mi}\n")
	if gate != "" {
		fmt.Fprintf(&b, "  nodeSelector: {%q: open}\n", gate)
	}
	if submit != "" {
		fmt.Fprintf(&b, "  command:\n    submit: %q\n", submit)
	}
	b.WriteString("drivers:\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "  - name: spark%d\n", i)
	}
	p := filepath.Join(dir, fmt.Sprintf("values-%d.yaml", n))
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestReport runs every benchmark of docs/PERFORMANCE.md and prints the table. Select parts
// with SPARKMR3_BENCH_ONLY=P1,P3; the trial count of P1 with SPARKMR3_BENCH_TRIALS. The report
// is also written to $SPARKMR3_BENCH_REPORT when set.
func TestReport(t *testing.T) {
	if os.Getenv(EnvBench) != "1" {
		t.Skip("benchmarks run only under `make bench` (SPARKMR3_BENCH=1)")
	}
	if testing.Short() {
		t.Skip("benchmarks do not run with -short")
	}
	e := newEnv(t)
	only := os.Getenv("SPARKMR3_BENCH_ONLY")
	want := func(id string) bool { return only == "" || strings.Contains(","+only+",", ","+id+",") }
	r := &Report{}
	start := time.Now()
	for _, p := range []struct {
		id  string
		run func(*testing.T, *env, *Report)
	}{
		{"P3", benchStart}, {"P5", benchPeakRSS}, {"P2", benchRender}, {"P1", benchReadyToExec},
		{"P4", benchRequests}, {"P6", benchTeardown}, {"P7", benchWorkers},
	} {
		if !want(p.id) {
			continue
		}
		t.Run(p.id, func(t *testing.T) {
			e.t = t
			p.run(t, e, r)
		})
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "spark-mr3 benchmarks, %s, %d CPUs (GOMAXPROCS %d), %s, took %s\n", time.Now().UTC().Format(time.RFC3339),
		runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), time.Since(start).Round(time.Second))
	fmt.Fprintf(&out, "tools: %s; %s; %s\n", toolVersion(e, e.helm3), toolVersion(e, e.helm4), toolVersion(e, e.kubectl, "--client"))
	if l, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Fprintf(&out, "load average at the end: %s", l)
	}
	r.Write(&out)
	fmt.Fprintf(&out, "\n%s", r.Summary())
	fmt.Print(out.String())
	if p := os.Getenv("SPARKMR3_BENCH_REPORT"); p != "" {
		if err := os.WriteFile(p, out.Bytes(), 0o644); err != nil {
			t.Error(err)
		}
	}
}

func toolVersion(e *env, tool string, args ...string) string {
	out, err := e.cmd(context.Background(), tool, append([]string{"version"}, args...)).Output()
	if err != nil {
		return filepath.Base(tool) + " ?"
	}
	s := strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
	return filepath.Base(tool) + " " + s
}

// benchNamespace makes a namespace for one trial; drop deletes it at once, without waiting
// (the test's cleanup deletes it too).
func benchNamespace(t *testing.T, c *cluster.Cluster, cs kubernetes.Interface) (string, func()) {
	t.Helper()
	name := c.Namespace(t, nil)
	return name, func() { _ = cs.CoreV1().Namespaces().Delete(context.Background(), name, metav1.DeleteOptions{}) }
}
