package e2e

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"github.com/spark-mr3/spark-mr3/plugin/status"
	"github.com/spark-mr3/spark-mr3/test/mr3model"
)

// TestTwoReleasesOneNamespace: releases a and b (helm sparkmr3 install, default values, each
// with a driver named spark1) and c (plain helm install) in one namespace. Their objects do not
// collide; a job runs in a (MR3's scripts, as test/mr3model runs them, dial a-spark1); with
// MR3's run-time objects made for a and b, status of each shows only its own and AM Service
// a-mr3 selects only a's DAGAppMaster; teardown of a (including claims and a driver Pod left
// by the chart before names were release-scoped) leaves every object of b and c, and b still
// runs jobs.
func TestTwoReleasesOneNamespace(t *testing.T) {
	f := newSubmitFixture(t)
	ctx := context.Background()
	const d = "spark1"
	roots := map[string]mr3model.Root{"a": mr3model.Root(t.TempDir()), "b": mr3model.Root(t.TempDir())}
	drivers := map[string]map[string]*mr3model.Driver{}
	for _, rel := range []string{"a", "b"} {
		t.Cleanup(func() { f.runCLI(nil, "teardown", rel, "--yes", "--worker-timeout", "5s") })
		out, errOut, code := f.runCLI(nil, append([]string{"install", rel, "--timeout", "120s"}, roots[rel].SetValues(d)...)...)
		if code != 0 {
			t.Fatalf("install %s beside the others: exit %d\nstdout:\n%s\nstderr:\n%s", rel, code, out, errOut)
		}
		ds, err := mr3model.StageRelease(ctx, f.cs, f.ns, rel, roots[rel])
		must(t, err)
		drivers[rel] = ds
	}
	h := newHelmCLI(t, f.c)
	t.Cleanup(func() { f.runCLI(nil, "teardown", "c", "--yes", "--worker-timeout", "5s") })
	h.mustRun(t, "install", "c", chartPath, "-n", f.ns, "--wait", "--timeout", "120s")
	chartDriversReady(t, f.cs, f.ns, "c", d)
	for _, rel := range []string{"a", "b", "c"} {
		set, err := f.cs.AppsV1().StatefulSets(f.ns).Get(ctx, driverObjectName(rel, d), metav1.GetOptions{})
		must(t, err)
		if set.Labels[contract.LabelDriver] != d || set.Labels[contract.LabelInstance] != rel {
			t.Errorf("StatefulSet %s labels %v", set.Name, set.Labels)
		}
		_, err = f.cs.CoreV1().Services(f.ns).Get(ctx, contract.AMServiceDefault(rel), metav1.GetOptions{})
		must(t, err)
	}

	// A job in a: its driver host is a's Service.
	if out, errOut, code := f.runCLI(nil, "submit", "a", "--driver", d, "--timeout", "60s", "--", "--class", "org.example.Main", "app.jar"); code != 0 {
		t.Fatalf("submit a: exit %d\nstdout:\n%s\nstderr:\n%s", code, scriptErrors(out), errOut)
	}
	run, err := drivers["a"][d].LastRun()
	must(t, err)
	if host, _ := run.Submit().ConfValue("spark.driver.host"); host != driverObjectName("a", d)+"."+f.ns+".svc.cluster.local" {
		t.Errorf("a's job: spark.driver.host=%q, want a's driver Service", host)
	}
	if _, err := drivers["b"][d].LastRun(); err == nil {
		t.Error("submit a ran a job in b's driver")
	}

	// What MR3 makes at run time, for both (their DAGAppMasters labelled as the chart's
	// mr3-site.xml says; the shared-name ConfigMaps and Service made once, used by both).
	e := teardownEnvFor(t, f.c, f.ns)
	ts := map[string]string{}
	for rel, hex := range map[string]string{"a": "aa11", "b": "bb22"} {
		ts[rel] = releaseTimestamp(t, f, rel)
		e.teardownSimulateMR3(t, rel, ts[rel], hex, contract.DefaultMasterLabels(rel), 2, 1, true)
	}
	for _, rel := range []string{"a", "b"} {
		svc, err := f.cs.CoreV1().Services(f.ns).Get(ctx, contract.AMServiceDefault(rel), metav1.GetOptions{})
		must(t, err)
		pods, err := f.cs.CoreV1().Pods(f.ns).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(svc.Spec.Selector).String()})
		must(t, err)
		if len(pods.Items) == 0 {
			t.Errorf("AM Service %s selects no Pod (selector %v)", svc.Name, svc.Spec.Selector)
		}
		for _, p := range pods.Items {
			if !strings.HasPrefix(p.Name, contract.AMDeploymentNames(ts[rel])[0]+"-") {
				t.Errorf("AM Service %s selects Pod %s, not release %s's DAGAppMaster", svc.Name, p.Name, rel)
			}
		}
	}
	for _, rel := range []string{"a", "b"} {
		rep := statusJSON(t, f, rel)
		other := map[string]string{"a": "b", "b": "a"}[rel]
		var names []string
		for _, p := range rep.Drivers {
			names = append(names, p.Name)
		}
		if strings.Join(names, ",") != driverPodName(rel, d) {
			t.Errorf("status %s: drivers %v, want only %s", rel, names, driverPodName(rel, d))
		}
		if strings.Join(rep.AMDeployments, ",") != contract.AMDeploymentNames(ts[rel])[0] {
			t.Errorf("status %s: DAGAppMasters %v", rel, rep.AMDeployments)
		}
		for _, w := range rep.Workers {
			if !strings.HasPrefix(w.Name, "mr3executor-"+map[string]string{"a": "aa11", "b": "bb22"}[rel]+"-") {
				t.Errorf("status %s shows worker %s", rel, w.Name)
			}
		}
		if len(rep.Workers) != 3 {
			t.Errorf("status %s: %d workers, want 3", rel, len(rep.Workers))
		}
		if !slices.Contains(rep.MR3Objects, "service/"+contract.AMServiceName(ts[rel])) || slices.Contains(rep.MR3Objects, "service/"+contract.AMServiceName(ts[other])) {
			t.Errorf("status %s: MR3 objects %v", rel, rep.MR3Objects)
		}
		for _, shared := range teardownSharedNames {
			if slices.ContainsFunc(rep.MR3Objects, func(o string) bool { return strings.HasSuffix(o, "/"+shared) }) {
				t.Errorf("status %s claims %s, which MR3 names alike for both applications", rel, shared)
			}
			if !slices.ContainsFunc(rep.Unattributed, func(o string) bool { return strings.Contains(o, "/"+shared+":") }) {
				t.Errorf("status %s does not list %s as not tied to it: %v", rel, shared, rep.Unattributed)
			}
		}
	}

	// What the chart made before names were release-scoped and an upgrade left behind: a
	// local-dir claim local-dir-0-spark1-0 (the StatefulSet controller never deletes claims) and
	// a driver Pod spark1-0. Both carry release a's labels.
	oldLabels := map[string]string{contract.LabelName: contract.ChartName, contract.LabelInstance: "a",
		contract.LabelComponent: contract.ComponentDriver, contract.LabelApp: d, contract.LabelDriver: d}
	_, err = f.cs.CoreV1().PersistentVolumeClaims(f.ns).Create(ctx, &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "local-dir-0-" + contract.DriverPodName(d), Labels: oldLabels},
		Spec: corev1.PersistentVolumeClaimSpec{AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}},
	}, metav1.CreateOptions{})
	must(t, err)
	_, err = f.cs.CoreV1().Pods(f.ns).Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: contract.DriverPodName(d), Labels: oldLabels},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "driver", Image: "mr3project/spark:stand-in"}}},
	}, metav1.CreateOptions{})
	must(t, err)

	extra := map[string][]string{
		"b": append(teardownWorkerNames("bb22", 3), teardownSharedNames...),
		"c": nil,
	}
	before := map[string][]string{}
	for rel, names := range extra {
		before[rel] = e.teardownLeftovers(t, rel, releaseTimestamp(t, f, rel), names...)
		if len(before[rel]) == 0 {
			t.Fatalf("release %s has no objects", rel)
		}
	}
	if out, errOut, code := f.runCLI(nil, "teardown", "a", "--yes", "--worker-timeout", "5s"); code != 0 {
		t.Fatalf("teardown a: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if left := e.teardownLeftovers(t, "a", ts["a"], append(teardownWorkerNames("aa11", 3), "local-dir-0-"+contract.DriverPodName(d), contract.DriverPodName(d))...); len(left) > 0 {
		t.Errorf("teardown a left: %v", left)
	}
	for rel, names := range extra {
		after := e.teardownLeftovers(t, rel, releaseTimestamp(t, f, rel), names...)
		for _, o := range before[rel] {
			if !slices.Contains(after, o) {
				t.Errorf("teardown a removed %s of release %s", o, rel)
			}
		}
		sort.Strings(after)
		t.Logf("release %s after teardown a: %s", rel, strings.Join(after, " "))
	}

	// b still runs jobs.
	if out, errOut, code := f.runCLI(nil, "submit", "b", "--timeout", "60s", "--", "app.jar"); code != 0 {
		t.Fatalf("submit b after teardown a: exit %d\nstdout:\n%s\nstderr:\n%s", code, scriptErrors(out), errOut)
	}
	run, err = drivers["b"][d].LastRun()
	must(t, err)
	if host, _ := run.Submit().ConfValue("spark.driver.host"); run.Exit != 0 || host != driverObjectName("b", d)+"."+f.ns+".svc.cluster.local" {
		t.Errorf("b's job: exit %d, spark.driver.host=%q", run.Exit, host)
	}
}

// releaseTimestamp is MR3_APPLICATION_ID_TIMESTAMP of a release, wherever its token is kept.
func releaseTimestamp(t *testing.T, f *submitFixture, rel string) string {
	t.Helper()
	for _, name := range []string{contract.PluginTokenName(rel), contract.TokenName(rel)} {
		s, err := f.cs.CoreV1().Secrets(f.ns).Get(context.Background(), name, metav1.GetOptions{})
		if err == nil {
			if ts := string(s.Data[contract.KeyTimestamp]); ts != "" {
				if _, err := strconv.ParseInt(ts, 10, 64); err == nil {
					return ts
				}
			}
		}
	}
	t.Fatalf("release %s has no token Secret with a timestamp", rel)
	return ""
}

// statusJSON is `helm sparkmr3 status REL -o json`.
func statusJSON(t *testing.T, f *submitFixture, rel string) status.Report {
	t.Helper()
	out, errOut, code := f.runCLI(nil, "status", rel, "-o", "json")
	if code != 0 {
		t.Fatalf("status %s: exit %d\n%s\n%s", rel, code, out, errOut)
	}
	var rep status.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("status %s -o json: %v\n%s", rel, err, out)
	}
	return rep
}
