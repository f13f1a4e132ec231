package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/spark-mr3/spark-mr3/plugin/cli"
	"github.com/spark-mr3/spark-mr3/plugin/logs"
	tf "github.com/spark-mr3/spark-mr3/plugin/mr3runtime/mr3runtimetest"
	"github.com/spark-mr3/spark-mr3/test/mr3model"
)

// The driver log is what MR3's script (the model) tee'd into the run's folder in the Pod, read
// back over kwok's exec (which runs on this machine, in the staged Pod's folder).
func TestLogsListsRunsAndPrintsTheirDriverLogs(t *testing.T) {
	m := newModelRelease(t, []string{"spark1"})
	out, errOut, code := m.runCLI(nil, "logs", m.rel)
	if code != 0 || !strings.Contains(out, "has no runs yet") {
		t.Fatalf("before any job: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for i := 0; i < 2; i++ {
		if i > 0 {
			time.Sleep(1100 * time.Millisecond) // run folders carry the start time in seconds
		}
		if out, errOut, code := m.runCLI(nil, "submit", m.rel, "--timeout", "60s", "--", "--class", fmt.Sprintf("org.example.Job%d", i), "app.jar"); code != 0 {
			t.Fatalf("submit %d: exit %d\nstdout:\n%s\nstderr:\n%s", i, code, scriptErrors(out), errOut)
		}
	}
	// What the model wrote, seen on this machine.
	resultDir := m.drivers["spark1"].Host(mr3model.RemoteBase + "/spark/spark-submit-result")
	entries, err := os.ReadDir(resultDir)
	must(t, err)
	var ids []string
	for _, e := range entries {
		ids = append(ids, e.Name())
	}
	sort.Sort(sort.Reverse(sort.StringSlice(ids))) // newest first: the names start with the time
	if len(ids) != 2 {
		t.Fatalf("the model made %d run folders: %v", len(ids), ids)
	}
	logOf := func(id string) string {
		b, err := os.ReadFile(filepath.Join(resultDir, id, "spark-logs", "out-spark-submit.txt"))
		must(t, err)
		return string(b)
	}

	out, errOut, code = m.runCLI(nil, "logs", m.rel)
	if code != 0 {
		t.Fatalf("list: exit %d\n%s", code, errOut)
	}
	rows := lines(out)
	if len(rows) != 3 || !strings.HasPrefix(rows[1], ids[0]+" ") || !strings.HasPrefix(rows[2], ids[1]+" ") ||
		!strings.Contains(rows[1], "submit") || !strings.HasSuffix(rows[1], "out-spark-submit.txt") {
		t.Fatalf("list, want %v newest first with their log:\n%s", ids, out)
	}
	out, _, code = m.runCLI(nil, "logs", m.rel, "-o", "json")
	var list logs.RunList
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list.Runs) != 2 || list.Driver != "spark1" || list.Runs[0].ID != ids[0] || list.Runs[0].Started == nil {
		t.Fatalf("list -o json: exit %d: %s", code, out)
	}

	out, errOut, code = m.runCLI(nil, "logs", m.rel, "--last")
	if code != 0 || out != logOf(ids[0]) || !strings.Contains(out, "org.example.Job1") {
		t.Fatalf("--last: exit %d\nstdout:\n%s\nstderr:\n%s\nwant:\n%s", code, out, errOut, logOf(ids[0]))
	}
	out, errOut, code = m.runCLI(nil, "logs", m.rel, "--driver", "spark1", "--run", ids[1])
	if code != 0 || out != logOf(ids[1]) || !strings.Contains(out, "org.example.Job0") {
		t.Fatalf("--run %s: exit %d\nstdout:\n%s\nstderr:\n%s", ids[1], code, out, errOut)
	}
	// -f prints and keeps following until interrupted (130, as every verb).
	out, _, code = m.runCLIFor(3*time.Second, nil, "logs", m.rel, "--last", "-f")
	if code != cli.ExitInterrupted || !strings.HasPrefix(out, logOf(ids[0])) {
		t.Fatalf("--last -f: exit %d\n%s", code, out)
	}

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--run", "../../../etc"}, cli.ExitUsage, `--run "../../../etc" is not a run ID`},
		{[]string{"--run", "spark-mr3-2026-01-01-00-00-00-nope"}, cli.ExitError, `driver spark1 has no run "spark-mr3-2026-01-01-00-00-00-nope"; its newest runs: ` + ids[0]},
		{[]string{"--driver", "spark9"}, cli.ExitError, `release "rel" has no driver "spark9"; its drivers: spark1`},
	} {
		_, errOut, code := m.runCLI(nil, append([]string{"logs", m.rel}, tc.args...)...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("logs %v: exit %d, want %d and %q\n%s", tc.args, code, tc.code, tc.want, errOut)
		}
	}

	// Completion asks the cluster: the driver entries, then the driver's runs.
	out, _, _ = m.runCLI(nil, "__complete", "logs", m.rel, "--driver", "")
	if got := lines(out); len(got) != 2 || got[0] != "spark1" || got[1] != ":4" {
		t.Errorf("--driver <TAB>: %q", got)
	}
	out, _, _ = m.runCLI(nil, "__completeNoDesc", "logs", m.rel, "--run", "")
	if got := lines(out); len(got) != 3 || got[0] != ids[0] || got[1] != ids[1] {
		t.Errorf("--run <TAB>: %q, want %v", got, ids)
	}
}

var (
	kwokLogsGVR        = schema.GroupVersionResource{Group: "kwok.x-k8s.io", Version: "v1alpha1", Resource: "logs"}
	kwokPortForwardGVR = schema.GroupVersionResource{Group: "kwok.x-k8s.io", Version: "v1alpha1", Resource: "portforwards"}
)

// needKwokCRD fails the test when the cluster cannot serve a kwok debugging resource: kwok
// serves pods/log and port-forward only for Pods its Logs / PortForward objects name, and
// test/cluster starts it reading those from the API, their CRDs installed before it starts.
func needKwokCRD(t *testing.T, dyn dynamic.Interface, gvr schema.GroupVersionResource, ns string) {
	t.Helper()
	if _, err := dyn.Resource(gvr).Namespace(ns).List(context.Background(), metav1.ListOptions{}); err != nil {
		t.Fatalf("the cluster has no %s.%s resource (%v): it was started before test/cluster installed kwok's CRDs; restart it (make cluster-down && make cluster) after 'hack/tools.sh cluster'", gvr.Resource, gvr.Group, err)
	}
}

// criLog writes lines in the CRI log format kwok reads (time, stream, P/F tag, text).
func criLog(t *testing.T, path string, text ...string) {
	t.Helper()
	var b strings.Builder
	for _, l := range text {
		fmt.Fprintf(&b, "%s stdout F %s\n", time.Now().UTC().Format(time.RFC3339Nano), l)
	}
	write(t, path, b.String(), 0o644)
}

// The DAGAppMaster's and ContainerWorkers' Pods are made as MR3 makes them (names, labels, the
// release's ServiceAccounts and conf ConfigMap); their logs come from the API through kwok.
func TestLogsOfTheDAGAppMasterAndContainerWorkers(t *testing.T) {
	m := newModelRelease(t, []string{"spark1"})
	ctx := context.Background()
	ts := fmt.Sprint(m.token().Timestamp)
	am, err := m.cs.AppsV1().Deployments(m.ns).Create(ctx, tf.AMDeployment(m.ns, m.rel, ts, nil), metav1.CreateOptions{})
	must(t, err)
	amPod := teardownWaitAMPod(t, m.cs, m.ns, am.Name)
	var workers []string
	for i := 1; i <= 2; i++ {
		w, err := m.cs.CoreV1().Pods(m.ns).Create(ctx, tf.WorkerPod(m.ns, "ab12", i, m.rel, amPod), metav1.CreateOptions{})
		must(t, err)
		workers = append(workers, w.Name)
	}

	_, errOut, code := m.runCLI(nil, "logs", m.rel, "--am", "--driver", "spark1")
	if code != cli.ExitUsage || !strings.Contains(errOut, "leave out --driver") {
		t.Fatalf("--am --driver: exit %d\n%s", code, errOut)
	}

	dyn, err := dynamic.NewForConfig(m.c.RESTConfig(t))
	must(t, err)
	needKwokCRD(t, dyn, kwokLogsGVR, m.ns)
	// Before any Logs object names the Pods, kwok refuses their logs: the Pods are found (the
	// error names the AM Pod) and the API's refusal reaches the user.
	_, errOut, code = m.runCLI(nil, "logs", m.rel, "--am")
	if code != cli.ExitError || !strings.Contains(errOut, "read the log of Pod "+m.ns+"/"+amPod.Name) {
		t.Errorf("--am before kwok has a log: exit %d\n%s", code, errOut)
	}
	dir := t.TempDir()
	for _, p := range append([]string{amPod.Name}, workers...) {
		file := filepath.Join(dir, p+".log")
		criLog(t, file, "hello from "+p, "second line of "+p)
		obj := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "Logs",
			"metadata": map[string]any{"name": p, "namespace": m.ns},
			"spec":     map[string]any{"logs": []any{map[string]any{"logsFile": file, "follow": true}}},
		}}
		_, err := dyn.Resource(kwokLogsGVR).Namespace(m.ns).Create(ctx, obj, metav1.CreateOptions{})
		must(t, err)
	}
	// kwok learns of the objects through its watch: wait until it serves the last one.
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, err := m.cs.CoreV1().Pods(m.ns).GetLogs(workers[1], &corev1.PodLogOptions{}).DoRaw(ctx)
		if err == nil && strings.Contains(string(b), "hello") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("kwok serves no log for %s: %v", workers[1], err)
		}
		time.Sleep(200 * time.Millisecond)
	}

	out, errOut, code := m.runCLI(nil, "logs", m.rel, "--am")
	if code != 0 || out != "hello from "+amPod.Name+"\nsecond line of "+amPod.Name+"\n" {
		t.Fatalf("--am (one Pod, no prefix): exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	out, errOut, code = m.runCLI(nil, "logs", m.rel, "--workers")
	want := ""
	for _, w := range workers {
		want += "[" + w + "] hello from " + w + "\n[" + w + "] second line of " + w + "\n"
	}
	if code != 0 || out != want {
		t.Fatalf("--workers: exit %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s", code, out, want, errOut)
	}
	// Following all three: every line once, whole, prefixed; ends on the interrupt.
	out, _, code = m.runCLIFor(3*time.Second, nil, "logs", m.rel, "--am", "--workers", "-f")
	if code != cli.ExitInterrupted || len(lines(out)) != 6 {
		t.Fatalf("--am --workers -f: exit %d\n%s", code, out)
	}
	for _, p := range append([]string{amPod.Name}, workers...) {
		if !strings.Contains(out, "["+p+"] hello from "+p+"\n") {
			t.Errorf("-f lacks the first line of %s:\n%s", p, out)
		}
	}
}
