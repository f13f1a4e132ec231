package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"github.com/spark-mr3/spark-mr3/test/cluster"
)

// A ready→exec trial (P1, P4): the release is installed with its driver Pods held Pending by a
// nodeSelector on a label no node has (the gate). Once the waiting command runs and has had
// time to start up, the harness puts the label on a node: the Pods are scheduled and kwok makes
// them Ready. A reference watch of the harness on the API server notes when the last driver Pod
// became Ready; the stand-in driver command writes its start time (date +%s%N, same clock).
// The latency is the difference: tool start-up is outside it, as it is for a user whose
// command was already waiting.

// standIn records its start time in DIR/start.
const standIn = "#!/bin/sh\ndate +%%s%%N > %q/start\necho stand-in started\n"

// waitMethod is one way a user gets from "release installed" to "driver command running".
type waitMethod struct {
	name string
	// preinstall: the harness installs the release (helm 3, no wait) before starting cmd;
	// otherwise cmd installs it.
	preinstall bool
	cmd        func(e *env, tr *trial) []string // argv of a shell-free command, or sh -c
	// userAgent of the method's own API requests in the audit log ("" = not counted). The
	// plugin's clients come from helm's SDK settings, which send "Helm/<major>.<minor>"; the
	// helm binaries send their full version.
	userAgent string
}

type trial struct {
	ns, dir, values, script, kubeconfig string
	drivers                             int
}

// lastDriver is the Pod the command execs into: release rel's driver spark<n>, Pod rel-spark<n>-0.
func (tr *trial) lastDriver() string {
	return contract.DriverPodName(contract.DriverObjectName("rel", fmt.Sprintf("spark%d", tr.drivers)))
}

func (tr *trial) kubectlWaitExec(e *env) string {
	pods := make([]string, tr.drivers)
	for i := range pods {
		pods[i] = "pod/" + contract.DriverPodName(contract.DriverObjectName("rel", fmt.Sprintf("spark%d", i+1)))
	}
	return fmt.Sprintf("%s wait --kubeconfig %s -n %s --for=condition=Ready %s --timeout=3m >/dev/null && %s",
		e.kubectl, tr.kubeconfig, tr.ns, strings.Join(pods, " "), tr.kubectlExec(e))
}

func (tr *trial) kubectlExec(e *env) string {
	return fmt.Sprintf("%s exec --kubeconfig %s -n %s %s -c driver -- %s bench-arg", e.kubectl, tr.kubeconfig, tr.ns, tr.lastDriver(), tr.script)
}

func (tr *trial) helmInstall(helm string, wait string) string {
	return fmt.Sprintf("%s install rel %s --kubeconfig %s -n %s -f %s %s --timeout 3m >/dev/null", helm, chartPath(), tr.kubeconfig, tr.ns, tr.values, wait)
}

func chartPath() string {
	p, _ := filepath.Abs(chartDir)
	return p
}

var (
	methodSparkMR3 = waitMethod{name: "helm sparkmr3 submit (watch)", preinstall: true, userAgent: "Helm/3.22",
		cmd: func(e *env, tr *trial) []string {
			return []string{e.plugin, "submit", "rel", "--driver", fmt.Sprintf("spark%d", tr.drivers), "--timeout", "3m", "--", "bench-arg"}
		}}
	methodKubectl = waitMethod{name: "kubectl wait --for=condition=Ready && kubectl exec", preinstall: true,
		cmd: func(e *env, tr *trial) []string { return []string{"/bin/sh", "-c", tr.kubectlWaitExec(e)} }}
	methodHelm3 = waitMethod{name: "helm 3 install --wait && kubectl exec", userAgent: "Helm/3.22.0",
		cmd: func(e *env, tr *trial) []string {
			return []string{"/bin/sh", "-c", tr.helmInstall(e.helm3, "--wait") + " && " + tr.kubectlExec(e)}
		}}
	methodHelm4 = waitMethod{name: "helm 4 install --wait=watcher && kubectl exec", userAgent: "Helm/4.3.1",
		cmd: func(e *env, tr *trial) []string {
			return []string{"/bin/sh", "-c", tr.helmInstall(e.helm4, "--wait=watcher") + " && " + tr.kubectlExec(e)}
		}}
)

// trialResult is what one trial measured.
type trialResult struct {
	latency   time.Duration // driver command start − last driver Pod Ready
	requests  int           // the method's API requests (see countRequests)
	waitReads int           // helm: reads after its last create (its wait)
	// sparkmr3: last Pod Ready → exec request received by the API server (audit log, µs), and
	// from there → driver command start.
	toExec, fromExec time.Duration
	startedAt, end   time.Time
}

// readyTrial runs one trial of method m with n drivers; the gate opens settle after the driver
// Pods exist.
func readyTrial(t *testing.T, e *env, c *cluster.Cluster, cs kubernetes.Interface, m waitMethod, n int, settle time.Duration) trialResult {
	t.Helper()
	ns, drop := benchNamespace(t, c, cs)
	defer drop()
	tr := &trial{ns: ns, dir: t.TempDir(), kubeconfig: c.Kubeconfig(), drivers: n}
	tr.script = filepath.Join(tr.dir, "run-spark-submit.sh")
	if err := os.WriteFile(tr.script, []byte(fmt.Sprintf(standIn, tr.dir)), 0o755); err != nil {
		t.Fatal(err)
	}
	gate := fmt.Sprintf("bench.sparkmr3.io/gate-%08x", rand.Uint32())
	tr.values = valuesFile(t, tr.dir, n, gate, tr.script)

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	w := watchDrivers(ctx, t, cs, ns, n)
	audit := c.State(t).AuditLog
	from := fileSize(audit)
	if m.preinstall {
		e.run(e.helm3, []string{"install", "rel", e.chart, "--kubeconfig", tr.kubeconfig, "-n", ns, "-f", tr.values})
	}
	if m.preinstall {
		// kubectl wait on a Pod that does not exist yet fails at once: start the command
		// when the Pods exist, as a user would after seeing them.
		select {
		case <-w.exist:
		case <-ctx.Done():
			t.Fatalf("%s: driver Pods not created", m.name)
		}
	}
	argv := m.cmd(e, tr)
	cmd := e.cmd(ctx, argv[0], argv[1:], "KUBECONFIG="+tr.kubeconfig, "HELM_NAMESPACE="+ns)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	res := trialResult{startedAt: time.Now()}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-w.exist:
	case err := <-done:
		t.Fatalf("%s ended before the driver Pods existed: %v\n%s", m.name, err, out.String())
	case <-ctx.Done():
		t.Fatalf("%s: driver Pods not created", m.name)
	}
	time.Sleep(settle) // lets the command reach its steady wait; not part of the latency
	gateNode(t, cs, gate, true)
	defer gateNode(t, cs, gate, false)
	if err := <-done; err != nil {
		t.Fatalf("%s: %v\n%s", m.name, err, out.String())
	}
	res.end = time.Now()
	b, err := os.ReadFile(filepath.Join(tr.dir, "start"))
	if err != nil {
		t.Fatalf("%s: the driver command did not run: %v\n%s", m.name, err, out.String())
	}
	startNs, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	readyAt := w.lastReady()
	if readyAt.IsZero() && n == 1 {
		t.Fatalf("%s: the reference watch never saw the driver Pod Ready", m.name)
	}
	// With several drivers submit may exec as soon as ITS driver is Ready, before the others:
	// then there is no "last Ready" before the start, and only the request count (P4) is used.
	if !readyAt.IsZero() {
		res.latency = time.Unix(0, startNs).Sub(readyAt)
	}
	if m.userAgent != "" {
		var execAt time.Time
		res.requests, res.waitReads, execAt = countRequests(t, audit, from, ns, m.userAgent, res.startedAt, res.end)
		if !execAt.IsZero() && !readyAt.IsZero() {
			res.toExec = execAt.Sub(readyAt)
			res.fromExec = time.Unix(0, startNs).Sub(execAt)
		}
	}
	return res
}

// gateNode puts the gate label on (or takes it off) the first node.
func gateNode(t *testing.T, cs kubernetes.Interface, gate string, open bool) string {
	t.Helper()
	ctx := context.Background()
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil || len(nodes.Items) == 0 {
		t.Fatalf("list nodes: %v (%d nodes)", err, len(nodes.Items))
	}
	name := nodes.Items[0].Name
	val := `"open"`
	if !open {
		val = "null"
	}
	patch := fmt.Sprintf(`{"metadata":{"labels":{%q:%s}}}`, gate, val)
	if _, err := cs.CoreV1().Nodes().Patch(ctx, name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatalf("label node %s: %v", name, err)
	}
	return name
}

// driverWatch is the reference watch: it notes when each driver Pod is first seen Ready.
type driverWatch struct {
	exist chan struct{} // closed when all n driver Pods exist
	mu    sync.Mutex
	ready map[string]time.Time
	n     int
}

func (w *driverWatch) lastReady() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.ready) < w.n {
		return time.Time{}
	}
	var last time.Time
	for _, at := range w.ready {
		if at.After(last) {
			last = at
		}
	}
	return last
}

func watchDrivers(ctx context.Context, t *testing.T, cs kubernetes.Interface, ns string, n int) *driverWatch {
	t.Helper()
	wi, err := cs.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{LabelSelector: "sparkmr3.io/driver"})
	if err != nil {
		t.Fatalf("watch driver pods: %v", err)
	}
	w := &driverWatch{exist: make(chan struct{}), ready: map[string]time.Time{}, n: n}
	go func() {
		defer wi.Stop()
		seen := map[string]bool{}
		for ev := range wi.ResultChan() {
			now := time.Now()
			p, ok := ev.Object.(*corev1.Pod)
			if !ok {
				continue
			}
			if !seen[p.Name] {
				seen[p.Name] = true
				if len(seen) == n {
					close(w.exist)
				}
			}
			if podReady(p) {
				w.mu.Lock()
				if _, ok := w.ready[p.Name]; !ok {
					w.ready[p.Name] = now
				}
				w.mu.Unlock()
			}
		}
	}()
	return w
}

func podReady(p *corev1.Pod) bool {
	if p.Status.Phase != corev1.PodRunning {
		return false
	}
	return slices.ContainsFunc(p.Status.Conditions, func(c corev1.PodCondition) bool {
		return c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue
	})
}

func fileSize(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// auditEvent is the part of an audit.k8s.io/v1 Event the count needs.
type auditEvent struct {
	AuditID   string `json:"auditID"`
	Verb      string `json:"verb"`
	UserAgent string `json:"userAgent"`
	URI       string `json:"requestURI"`
	ObjectRef *struct {
		Resource    string `json:"resource"`
		Namespace   string `json:"namespace"`
		Subresource string `json:"subresource"`
	} `json:"objectRef"`
	Received time.Time `json:"requestReceivedTimestamp"`
}

// countRequests counts the API requests of one tool in one trial from the audit log: requests
// whose user agent is ua, received between from and to, in namespace ns or not
// namespaced (discovery, nodes). For helm-sparkmr3 only requests before its exec count, and
// the exec's arrival at the API server is returned; for helm also the reads after its last
// create (its wait) are returned.
func countRequests(t *testing.T, path string, offset int64, ns, ua string, from, to time.Time) (total, waitReads int, execAt time.Time) {
	t.Helper()
	time.Sleep(200 * time.Millisecond) // the audit backend writes after the response
	f, err := os.Open(path)
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
	byID := map[string]auditEvent{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var ev auditEvent
		if json.Unmarshal(sc.Bytes(), &ev) != nil || ev.UserAgent != ua {
			continue
		}
		if ev.Received.Before(from.Add(-time.Millisecond)) || ev.Received.After(to) {
			continue
		}
		if ev.ObjectRef != nil && ev.ObjectRef.Namespace != "" && ev.ObjectRef.Namespace != ns {
			continue
		}
		byID[ev.AuditID] = ev
	}
	evs := make([]auditEvent, 0, len(byID))
	for _, ev := range byID {
		evs = append(evs, ev)
	}
	slices.SortFunc(evs, func(a, b auditEvent) int { return a.Received.Compare(b.Received) })
	lastCreate, reads := -1, 0
	for i, ev := range evs {
		if ev.ObjectRef != nil && ev.ObjectRef.Subresource == "exec" {
			return i, 0, ev.Received // requests before the exec
		}
		switch ev.Verb {
		case "create":
			lastCreate, reads = i, 0
		case "get", "list", "watch":
			if lastCreate >= 0 {
				reads++
			}
		}
	}
	return len(evs), reads, time.Time{}
}

// benchReadyToExec is P1: ready→exec latency of each method, 1 driver, alternating methods
// trial by trial, the same random settle time for every method of a round.
func benchReadyToExec(t *testing.T, e *env, r *Report) {
	c := cluster.Shared(t)
	cs := c.Client(t)
	methods := []waitMethod{methodSparkMR3, methodKubectl, methodHelm3, methodHelm4}
	s := r.Section("P1", "last driver Pod Ready (reference watch) → driver command starts, ms, 1 driver", methodKubectl.name)
	for _, m := range methods {
		s.Row(m.name, "ms")
	}
	reqs := &Sample{Name: "requests", Unit: "req"}
	split := r.Section("P1split", "where helm sparkmr3's ready→exec time goes (exec request time from the audit log), ms", "")
	toExec := split.Row("last Pod Ready (reference watch) → exec request received by the API server", "ms")
	fromExec := split.Row("exec request received → driver command starts (API server → kwok → sh)", "ms")
	for i := range e.trials {
		settle := 500*time.Millisecond + time.Duration(rand.Int64N(int64(2*time.Second)))
		for j := range methods {
			m := methods[(i+j)%len(methods)]
			res := readyTrial(t, e, c, cs, m, 1, settle)
			s.Row(m.name, "ms").AddDuration(res.latency)
			if m.name == methodSparkMR3.name {
				reqs.Add(float64(res.requests))
				toExec.AddDuration(res.toExec)
				fromExec.AddDuration(res.fromExec)
			}
		}
		t.Logf("round %d/%d done", i+1, e.trials)
	}
	s.Note = fmt.Sprintf("Each round: one trial per method in rotated order, the gate opened %s after the Pods exist "+
		"(random per round, same for all methods). p99 of %d trials is the largest. helm sparkmr3 made %s API requests before exec (median, max %s).",
		"0.5–2.5 s", e.trials, num(reqs.Median()), num(reqs.Max()))
	ours := s.Row(methodSparkMR3.name, "ms")
	// Issue 15's targets for client-go's executor (no kept connection): p50 ≤ 40 ms and ≥ 2.5×
	// kubectl wait+exec; p99 and helm 3 stay in the table for reference.
	r.Check(Target{ID: "P1", What: "sparkmr3 ready→exec p50", Got: ours.Median(), Limit: 40, Unit: "ms"})
	r.Check(Target{ID: "P1", What: "kubectl wait+exec p50 / sparkmr3 p50", Got: s.Row(methodKubectl.name, "ms").Median() / ours.Median(), Limit: 2.5, AtLeast: true, Unit: "×"})
}

// benchRequests is P4: API requests of submit before exec with 1 and 10 drivers, against
// helm 3 --wait over the same (longer, fixed 4 s) wait.
func benchRequests(t *testing.T, e *env, r *Report) {
	c := cluster.Shared(t)
	cs := c.Client(t)
	s := r.Section("P4", "API requests (audit log, by user agent), Pods gated for 4 s", "")
	const runs = 3
	for _, n := range []int{1, 10} {
		for range runs {
			res := readyTrial(t, e, c, cs, methodSparkMR3, n, 4*time.Second)
			s.Row(fmt.Sprintf("helm sparkmr3 submit, %d drivers: before exec", n), "req").Add(float64(res.requests))
			res = readyTrial(t, e, c, cs, methodHelm3, n, 4*time.Second)
			s.Row(fmt.Sprintf("helm 3 install --wait, %d drivers: all", n), "req").Add(float64(res.requests))
			s.Row(fmt.Sprintf("helm 3 install --wait, %d drivers: reads after its last create (the wait)", n), "req").Add(float64(res.waitReads))
		}
	}
	one := s.Row("helm sparkmr3 submit, 1 drivers: before exec", "req")
	ten := s.Row("helm sparkmr3 submit, 10 drivers: before exec", "req")
	r.Check(Target{ID: "P4", What: "submit requests before exec, 1 driver (max)", Got: one.Max(), Limit: 5, Unit: "req"})
	r.Check(Target{ID: "P4", What: "submit requests before exec, 10 drivers (max; O(1))", Got: ten.Max(), Limit: one.Max(), Unit: "req"})
}
