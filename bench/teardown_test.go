package bench

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spark-mr3/spark-mr3/test/cluster"
)

// benchTeardown is P6. The scenario (10 drivers, the AM Deployment and 49 ContainerWorker
// Pods MR3 would make) lives in test/e2e's BenchmarkTeardownP6, which set it up for the
// e2e teardown tests; it is run here once per trial (-benchtime 1x), so each line of its
// output is one teardown, and -count alternates the two sub-benchmarks.
func benchTeardown(t *testing.T, e *env, r *Report) {
	c := cluster.Shared(t)
	runs := 5
	if n, err := strconv.Atoi(os.Getenv("SPARKMR3_BENCH_TEARDOWN_RUNS")); err == nil && n > 0 {
		runs = n
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "test", "../test/e2e", "-run", "^$", "-bench", "^BenchmarkTeardownP6$",
		"-benchtime", "1x", "-count", strconv.Itoa(runs), "-timeout", "30m")
	cmd.Env = append(os.Environ(), cluster.EnvKubeconfig+"="+c.Kubeconfig())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("BenchmarkTeardownP6: %v\n%s", err, out.String())
	}
	s := r.Section("P6", "teardown of 10 drivers + AM + 49 worker Pods until all are gone, ms", "helm uninstall --wait + kubectl delete")
	line := regexp.MustCompile(`^BenchmarkTeardownP6/(\S+?)(-\d+)?\s+\d+\s+(\d+) ns/op`)
	names := map[string]string{"sparkmr3-teardown": "helm sparkmr3 teardown", "helm-uninstall-wait+kubectl-delete": "helm uninstall --wait + kubectl delete"}
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		m := line.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		ns, _ := strconv.ParseFloat(m[3], 64)
		name := names[m[1]]
		if name == "" {
			name = m[1]
		}
		s.Row(name, "ms").Add(ns / 1e6)
	}
	ours, manual := s.Row("helm sparkmr3 teardown", "ms"), s.Row("helm uninstall --wait + kubectl delete", "ms")
	if len(ours.V) == 0 || len(manual.V) == 0 {
		t.Fatalf("no timings in the benchmark output:\n%s", out.String())
	}
	r.Check(Target{ID: "P6", What: "teardown / manual sequence (medians)", Got: ours.Median() / manual.Median(), Limit: 1, Unit: "×"})
}
