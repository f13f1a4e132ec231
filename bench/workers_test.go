package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/spark-mr3/spark-mr3/test/cluster"

	tf "github.com/spark-mr3/spark-mr3/plugin/mr3runtime/mr3runtimetest"
)

// p7Workers is the number of ContainerWorker Pods of P7's DAGAppMaster.
const p7Workers = 1000

// pluginUA is the user agent of helm-sparkmr3's requests (the Helm SDK's), as in P4.
const pluginUA = "Helm/3.22"

// benchWorkers is P7: a release whose DAGAppMaster has 1,000 ContainerWorker Pods. It times
// `helm sparkmr3 status` (and counts its requests with 1 worker and with 1,000, from the audit
// log), and teardown until everything is gone against `helm uninstall --wait` plus the kubectl
// delete line P6 uses, on identical setups made the same way: helm 3 installs the chart (one
// driver, pinned timestamp), then the AM Deployment and the bare worker Pods (MR3's names,
// labels and worker ServiceAccount, docs/DESIGN.md) are created through the API; kwok runs
// them. No DAGAppMaster runs to remove its workers, so teardown is given --worker-timeout 1ms
// and force-deletes them, as the kubectl line does at once. Setup is not timed.
func benchWorkers(t *testing.T, e *env, r *Report) {
	c := cluster.Shared(t)
	cs := c.Client(t)
	runs := 3
	if n, err := strconv.Atoi(os.Getenv("SPARKMR3_BENCH_P7_RUNS")); err == nil && n > 0 {
		runs = n
	}
	s := r.Section("P7", fmt.Sprintf("release with AM + %d ContainerWorker Pods: status, and API requests", p7Workers), "")
	st := s.Row("helm sparkmr3 status, ms", "ms")
	req1 := s.Row("helm sparkmr3 status, 1 worker: requests", "req")
	reqN := s.Row(fmt.Sprintf("helm sparkmr3 status, %d workers: requests", p7Workers), "req")
	dels := s.Row("helm sparkmr3 teardown: DELETE requests for pods", "req")
	dcs := s.Row("helm sparkmr3 teardown: DeleteCollection requests for pods", "req")
	manualDels := s.Row("kubectl delete: DELETE requests for pods", "req")
	td := r.Section("P7", fmt.Sprintf("teardown of AM + %d ContainerWorker Pods (+ 1 driver) until all are gone, ms", p7Workers),
		"helm uninstall --wait + kubectl delete")
	ours := td.Row("helm sparkmr3 teardown", "ms")
	manual := td.Row("helm uninstall --wait + kubectl delete", "ms")
	audit := c.State(t).AuditLog
	for i := range runs {
		// Ours.
		ns, kc, drop := p7Setup(t, e, c, cs, func(ns, kc string) {
			if i == 0 {
				n, _ := p7Status(t, e, audit, ns, kc)
				req1.Add(float64(n))
			}
		})
		n, d := p7Status(t, e, audit, ns, kc)
		reqN.Add(float64(n))
		st.AddDuration(d)
		from, start := fileSize(audit), time.Now()
		e.run(e.plugin, []string{"teardown", "p7", "-n", ns, "--yes", "--worker-timeout", "1ms", "--timeout", "5m"},
			"KUBECONFIG="+kc, "HELM_NAMESPACE="+ns)
		p7WaitGone(t, cs, ns)
		ours.AddDuration(time.Since(start))
		v := auditVerbs(t, audit, from, ns, pluginUA, start, time.Now())
		dels.Add(float64(v["delete pods"]))
		dcs.Add(float64(v["deletecollection pods"]))
		drop()

		// The manual sequence.
		ns, kc, drop = p7Setup(t, e, c, cs, nil)
		from, start = fileSize(audit), time.Now()
		e.run(e.helm3, []string{"uninstall", "p7", "-n", ns, "--wait", "--kubeconfig", kc})
		e.run(e.kubectl, []string{"--kubeconfig", kc, "-n", ns, "delete", "--wait",
			"deployment/mr3master-spark-4711-0", "service/service-master-4711-0",
			"configmap/mr3conf-configmap-master", "configmap/mr3conf-configmap-worker", "service/service-worker"})
		// kubectl deletes and then waits for the 1,000 Pods one by one: longer than e.run's 3 minutes.
		p7RunLong(t, e, e.kubectl, "--kubeconfig", kc, "-n", ns, "delete", "pods", "--wait", "-l", "mr3-pod-role=container-role")
		p7WaitGone(t, cs, ns)
		manual.AddDuration(time.Since(start))
		v = auditVerbs(t, audit, from, ns, "kubectl/", start, time.Now())
		manualDels.Add(float64(v["delete pods"]))
		drop()
	}
	s.Note = "Status requests are counted from the audit log (helm-sparkmr3's user agent, the release's namespace " +
		"and cluster-scoped requests); the first status runs before the other 999 workers exist. Teardown's " +
		"ContainerWorker Pods go with one DeleteCollection (label mr3-pod-role=container-role and field " +
		"spec.serviceAccountName=<release>-worker); kubectl deletes them one by one."
	r.Check(Target{ID: "P7", What: fmt.Sprintf("status wall time, %d workers (max)", p7Workers), Got: st.Max(), Limit: 1000, Unit: "ms"})
	r.Check(Target{ID: "P7", What: fmt.Sprintf("status requests, %d workers vs 1 (max; constant)", p7Workers), Got: reqN.Max(), Limit: req1.Max(), Unit: "req"})
	r.Check(Target{ID: "P7", What: "teardown / manual sequence (medians)", Got: ours.Median() / manual.Median(), Limit: 0.5, Unit: "×"})
	r.Check(Target{ID: "P7", What: fmt.Sprintf("teardown DELETE requests for pods, %d workers (max; the AM Pod only)", p7Workers), Got: dels.Max(), Limit: 1, Unit: "req"})
}

// p7Setup makes one identical setup in a new namespace: helm 3 installs release p7, then the
// AM Deployment, its Pod (by the Deployment), MR3's shared ConfigMaps and Services and
// p7Workers bare worker Pods are created; between the first worker and the others, between
// (a hook for the 1-worker status). It waits until the AM Pod and the workers are Running.
func p7Setup(t *testing.T, e *env, c *cluster.Cluster, cs kubernetes.Interface, between func(ns, kc string)) (string, string, func()) {
	t.Helper()
	ns, drop := benchNamespace(t, c, cs)
	kc := c.Kubeconfig()
	dir := t.TempDir()
	values := valuesFile(t, dir, 1, "", "")
	e.run(e.helm3, []string{"install", "p7", e.chart, "--kubeconfig", kc, "-n", ns, "-f", values})
	ctx := context.Background()
	am := tf.AMDeployment(ns, "p7", "4711", map[string]string{"sparkmr3_app": "mr3"})
	am.UID = ""
	if _, err := cs.AppsV1().Deployments(ns).Create(ctx, am, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, o := range tf.MR3ConfigMapsAndServices(ns, "4711") {
		var err error
		switch x := o.(type) {
		case *corev1.ConfigMap:
			_, err = cs.CoreV1().ConfigMaps(ns).Create(ctx, x, metav1.CreateOptions{})
		case *corev1.Service:
			_, err = cs.CoreV1().Services(ns).Create(ctx, x, metav1.CreateOptions{})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	create := func(from, to int) {
		var wg sync.WaitGroup
		errs := make(chan error, to-from+1)
		sem := make(chan struct{}, 32)
		for i := from; i <= to; i++ {
			wg.Add(1)
			sem <- struct{}{}
			go func(i int) {
				defer wg.Done()
				defer func() { <-sem }()
				if _, err := cs.CoreV1().Pods(ns).Create(ctx, tf.WorkerPod(ns, "ab12", i, "p7", nil), metav1.CreateOptions{}); err != nil {
					errs <- err
				}
			}(i)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}
	create(1, 1)
	if between != nil {
		p7WaitRunning(t, cs, ns, 2)
		between(ns, kc)
	}
	create(2, p7Workers)
	p7WaitRunning(t, cs, ns, p7Workers+1)
	return ns, kc, drop
}

// p7WaitRunning waits (up to 3 minutes) until n MR3 Pods (mr3-pod-role set) are Running, or
// the number Running has not changed for 3 s (the local cluster's nodes hold about 220 Pods; the
// rest stay Pending, for both tools alike).
func p7WaitRunning(t *testing.T, cs kubernetes.Interface, ns string, n int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	last, since := -1, time.Now()
	for {
		l, err := cs.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "mr3-pod-role"})
		if err != nil {
			t.Fatal(err)
		}
		running := 0
		for _, p := range l.Items {
			if p.Status.Phase == corev1.PodRunning {
				running++
			}
		}
		if running >= n {
			return
		}
		if running != last {
			last, since = running, time.Now()
		} else if running > 0 && time.Since(since) > 3*time.Second {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("namespace %s: %d of %d MR3 Pods Running after 3 minutes", ns, running, n)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// p7WaitGone waits until no Pod of the namespace is left (all MR3 Pods and the driver).
func p7WaitGone(t *testing.T, cs kubernetes.Interface, ns string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for {
		l, err := cs.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Items) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("namespace %s: %d Pods left after 5 minutes", ns, len(l.Items))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// p7Status runs `helm sparkmr3 status` once and returns its requests (audit log) and wall time.
func p7Status(t *testing.T, e *env, audit, ns, kc string) (int, time.Duration) {
	t.Helper()
	from, start := fileSize(audit), time.Now()
	out := e.run(e.plugin, []string{"status", "p7", "-n", ns, "-o", "json"}, "KUBECONFIG="+kc, "HELM_NAMESPACE="+ns)
	d := time.Since(start)
	if !bytes.Contains(out, []byte("mr3executor-ab12-1")) {
		t.Fatalf("status does not list the workers:\n%s", out)
	}
	n := 0
	for _, c := range auditVerbs(t, audit, from, ns, pluginUA, start, time.Now()) {
		n += c
	}
	return n, d
}

// auditVerbs counts the audit log's requests as "verb resource" from offset on: those received
// between from and to, in namespace ns or not namespaced, whose user agent starts with ua.
func auditVerbs(t *testing.T, path string, offset int64, ns, ua string, from, to time.Time) map[string]int {
	t.Helper()
	time.Sleep(200 * time.Millisecond) // the audit backend writes after the response
	f, err := os.Open(filepath.Clean(path))
	if err != nil {
		t.Fatalf("audit log: %v", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() < offset {
		offset = 0 // rotated
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	out := map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var ev auditEvent
		if json.Unmarshal(sc.Bytes(), &ev) != nil || !strings.HasPrefix(ev.UserAgent, ua) || seen[ev.AuditID] {
			continue
		}
		if ev.Received.Before(from.Add(-time.Millisecond)) || ev.Received.After(to) {
			continue
		}
		res := ""
		if ev.ObjectRef != nil {
			if ev.ObjectRef.Namespace != "" && ev.ObjectRef.Namespace != ns {
				continue
			}
			res = ev.ObjectRef.Resource
		}
		seen[ev.AuditID] = true
		out[ev.Verb+" "+res]++
	}
	return out
}

// p7RunLong runs a tool with up to 20 minutes and fails the test on error.
func p7RunLong(t *testing.T, e *env, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	if out, err := e.cmd(ctx, name, args).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", filepath.Base(name), args, err, out)
	}
}
