package e2e

import (
	"bytes"
	"context"
	"fmt"
	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"io"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	tf "github.com/spark-mr3/spark-mr3/plugin/mr3runtime/mr3runtimetest"
	"github.com/spark-mr3/spark-mr3/plugin/status"
	"github.com/spark-mr3/spark-mr3/plugin/teardown"
	"github.com/spark-mr3/spark-mr3/test/cluster"
)

// teardownEnv is one namespace on the real cluster with helm configured for it.
type teardownEnv struct {
	c    *cluster.Cluster
	cs   kubernetes.Interface
	ns   string
	helm *action.Configuration
}

func teardownNewEnv(t testing.TB) *teardownEnv {
	t.Helper()
	c := cluster.Shared(t)
	return teardownEnvFor(t, c, c.Namespace(t, nil))
}

// teardownEnvFor is a teardownEnv for an existing namespace ns.
func teardownEnvFor(t testing.TB, c *cluster.Cluster, ns string) *teardownEnv {
	t.Helper()
	kc := c.Kubeconfig()
	flags := genericclioptions.NewConfigFlags(false)
	flags.KubeConfig, flags.Namespace = &kc, &ns
	cfg := new(action.Configuration)
	if err := cfg.Init(flags, ns, "secret", func(string, ...any) {}); err != nil {
		t.Fatal(err)
	}
	return &teardownEnv{c: c, cs: c.Client(t), ns: ns, helm: cfg}
}

// teardownInstall installs the spark-mr3 chart in-process (helm's action.Install) and returns
// the release's MR3_APPLICATION_ID_TIMESTAMP.
func (e *teardownEnv) teardownInstall(t testing.TB, name string, values map[string]any) string {
	t.Helper()
	ch, err := loader.Load(chartPath)
	if err != nil {
		t.Fatal(err)
	}
	in := action.NewInstall(e.helm)
	in.ReleaseName, in.Namespace, in.Timeout = name, e.ns, 2*time.Minute
	if _, err := in.Run(ch, values); err != nil {
		t.Fatalf("install %s: %v", name, err)
	}
	s, err := e.cs.CoreV1().Secrets(e.ns).Get(context.Background(), name+"-token", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return string(s.Data[contract.KeyTimestamp])
}

// teardownSimulateMR3 creates what MR3 would make for a release: the AM Deployment (its Pod is
// made by the real Deployment controller), `owned` workers with an ownerReference to the AM
// Pod (the garbage collector removes them with it, as the DAGAppMaster would) and `bare`
// workers nobody removes, and the four MR3-made ConfigMaps/Services.
func (e *teardownEnv) teardownSimulateMR3(t testing.TB, fullname, ts, hex string, master map[string]string, owned, bare int, shared bool) {
	t.Helper()
	ctx := context.Background()
	am := tf.AMDeployment(e.ns, fullname, ts, master)
	am.UID = ""
	if _, err := e.cs.AppsV1().Deployments(e.ns).Create(ctx, am, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var amPod *corev1.Pod
	if owned > 0 {
		amPod = teardownWaitAMPod(t, e.cs, e.ns, am.Name)
	}
	var wg sync.WaitGroup
	errs := make(chan error, owned+bare+4)
	create := func(p *corev1.Pod) {
		defer wg.Done()
		if _, err := e.cs.CoreV1().Pods(e.ns).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			errs <- err
		}
	}
	for i := 1; i <= owned+bare; i++ {
		var owner *corev1.Pod
		if i <= owned {
			owner = amPod
		}
		wg.Add(1)
		go create(tf.WorkerPod(e.ns, hex, i, fullname, owner))
	}
	wg.Wait()
	objs := tf.MR3ConfigMapsAndServices(e.ns, ts)
	if !shared {
		objs = objs[:1]
	}
	for _, o := range objs {
		var err error
		switch x := o.(type) {
		case *corev1.ConfigMap:
			_, err = e.cs.CoreV1().ConfigMaps(e.ns).Create(ctx, x, metav1.CreateOptions{})
		case *corev1.Service:
			_, err = e.cs.CoreV1().Services(e.ns).Create(ctx, x, metav1.CreateOptions{})
		}
		if err != nil && !apierrors.IsAlreadyExists(err) {
			errs <- err
		}
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// teardownWaitAMPod waits (by watch) for the AM Deployment's Pod.
func teardownWaitAMPod(t testing.TB, cs kubernetes.Interface, ns, deployment string) *corev1.Pod {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sel := metav1.ListOptions{LabelSelector: contract.LabelPodRole + "=" + contract.RoleMaster}
	list, err := cs.CoreV1().Pods(ns).List(ctx, sel)
	if err != nil {
		t.Fatal(err)
	}
	for i := range list.Items {
		if strings.HasPrefix(list.Items[i].Name, deployment+"-") {
			return &list.Items[i]
		}
	}
	sel.ResourceVersion = list.ResourceVersion
	w, err := cs.CoreV1().Pods(ns).Watch(ctx, sel)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	for ev := range w.ResultChan() {
		if p, ok := ev.Object.(*corev1.Pod); ok && strings.HasPrefix(p.Name, deployment+"-") {
			return p
		}
	}
	t.Fatalf("no Pod of Deployment %s: %v", deployment, ctx.Err())
	return nil
}

func (e *teardownEnv) teardownOptions(release string, out *bytes.Buffer) *teardown.Options {
	var w io.Writer = io.Discard
	if out != nil {
		w = out
	}
	return &teardown.Options{Namespace: e.ns, Release: release, Client: e.cs, Helm: e.helm, Out: w,
		Timeout: 3 * time.Minute, WorkerTimeout: 3 * time.Second}
}

// teardownLeftovers enumerates every listable namespaced (in ns) and cluster-scoped API
// resource via discovery and returns the objects that belong to the release: its instance
// label, a name derived from it or from its timestamp, or one of names.
func (e *teardownEnv) teardownLeftovers(t testing.TB, release, ts string, names ...string) []string {
	t.Helper()
	cfg := e.c.RESTConfig(t)
	dc := discovery.NewDiscoveryClientForConfigOrDie(cfg)
	dyn := dynamic.NewForConfigOrDie(cfg)
	lists, err := dc.ServerPreferredResources()
	if err != nil && len(lists) == 0 {
		t.Fatal(err)
	}
	exact := map[string]bool{}
	for _, n := range names {
		exact[n] = true
	}
	belongs := func(name string, labels, annotations map[string]string, namespaced bool) bool {
		if labels[contract.LabelInstance] == release {
			// A cluster-scoped object of a same-named release in another namespace is not ours
			// (its name starts with ITS namespace and a dot: "NS.F-…").
			return namespaced || annotations["meta.helm.sh/release-namespace"] == e.ns || strings.HasPrefix(name, e.ns+"."+release+"-")
		}
		if exact[name] {
			return true
		}
		if !namespaced {
			return strings.HasPrefix(name, e.ns+"."+release+"-")
		}
		return strings.HasPrefix(name, release+"-") ||
			strings.Contains(name, "-"+ts+"-0") // mr3master-spark-<ts>-0…, service-master-<ts>-0
	}
	var out []string
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			continue
		}
		for _, r := range l.APIResources {
			if !teardownHas(r.Verbs, "list") || r.Name == "events" || strings.Contains(r.Name, "/") {
				continue
			}
			ri := dyn.Resource(gv.WithResource(r.Name))
			type item struct {
				name                string
				labels, annotations map[string]string
			}
			var items []item
			var lerr error
			if r.Namespaced {
				ul, err := ri.Namespace(e.ns).List(context.Background(), metav1.ListOptions{})
				lerr = err
				if err == nil {
					for _, it := range ul.Items {
						items = append(items, item{it.GetName(), it.GetLabels(), it.GetAnnotations()})
					}
				}
			} else {
				ul, err := ri.List(context.Background(), metav1.ListOptions{})
				lerr = err
				if err == nil {
					for _, it := range ul.Items {
						items = append(items, item{it.GetName(), it.GetLabels(), it.GetAnnotations()})
					}
				}
			}
			if lerr != nil {
				if apierrors.IsNotFound(lerr) || apierrors.IsMethodNotSupported(lerr) || apierrors.IsForbidden(lerr) {
					continue
				}
				t.Fatalf("list %s: %v", r.Name, lerr)
			}
			for _, it := range items {
				if belongs(it.name, it.labels, it.annotations, r.Namespaced) {
					out = append(out, r.Name+"/"+it.name)
				}
			}
		}
	}
	return out
}

func teardownHas(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func teardownWorkerNames(hex string, n int) []string {
	var out []string
	for i := 1; i <= n; i++ {
		out = append(out, fmt.Sprintf("mr3executor-%s-%d", hex, i))
	}
	return out
}

var teardownSharedNames = []string{contract.ConfigMapMaster, contract.ConfigMapWorker, contract.ServiceWorker}

// teardownWorkdirValues: two drivers, a work dir with a chart-made PV (NFS source; nothing
// mounts it on this cluster).
func teardownWorkdirValues() map[string]any {
	return map[string]any{
		"drivers": []any{map[string]any{"name": "spark1"}, map[string]any{"name": "spark2"}},
		"workDir": map[string]any{"enabled": true, "persistentVolume": map[string]any{
			"create": true, "reclaimPolicy": "Retain",
			"source": map[string]any{"nfs": map[string]any{"server": "10.1.90.10", "path": "/work/spark-mr3"}},
		}},
	}
}

// TestTeardownLeavesNothing: a release with 2 drivers, a work-dir PV/PVC, an AM Deployment,
// 3 workers the AM "removes" and 2 it does not, and the 4 MR3-made objects: after teardown no
// object of any API type carries the release's label, name or timestamp.
func TestTeardownLeavesNothing(t *testing.T) {
	e := teardownNewEnv(t)
	ts := e.teardownInstall(t, "a", teardownWorkdirValues())
	e.teardownSimulateMR3(t, "a", ts, "ab12", map[string]string{"sparkmr3_app": "mr3"}, 3, 2, true)
	chartDriversReady(t, e.cs, e.ns, "a", "spark1", "spark2") // the StatefulSets' Pods exist

	// status sees the same objects on the real API server.
	rep, err := (&status.Options{Namespace: e.ns, Release: "a", Client: e.cs, Helm: e.helm}).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Application != "application_"+ts+"_0000" || len(rep.Drivers) != 2 || len(rep.AMPods) != 1 || len(rep.Workers) != 5 || len(rep.MR3Objects) != 4 {
		t.Errorf("status: application %s, %d drivers, %d AM pods, %d workers, MR3 objects %v",
			rep.Application, len(rep.Drivers), len(rep.AMPods), len(rep.Workers), rep.MR3Objects)
	}

	var out bytes.Buffer
	res, err := e.teardownOptions("a", &out).Run(context.Background())
	if err != nil {
		t.Fatalf("teardown: %v\n%s", err, out.String())
	}
	t.Logf("teardown output:\n%s", out.String())
	if left := e.teardownLeftovers(t, "a", ts, append(teardownWorkerNames("ab12", 5), teardownSharedNames...)...); len(left) > 0 {
		t.Errorf("left after teardown: %v", left)
	}
	if len(res.ForcedPods) != 2 {
		t.Errorf("forced %v, want the 2 bare workers", res.ForcedPods)
	}
	// A second run has nothing to do and says so, naming release and namespace.
	_, err = e.teardownOptions("a", &out).Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("release %q not found in namespace %q", "a", e.ns)) {
		t.Errorf("second teardown: %v", err)
	}
}

// TestTeardownKeepDataKeepsPVAndPVC: --keep-data keeps exactly the work-dir PVC and PV.
func TestTeardownKeepDataKeepsPVAndPVC(t *testing.T) {
	e := teardownNewEnv(t)
	ts := e.teardownInstall(t, "a", teardownWorkdirValues())
	e.teardownSimulateMR3(t, "a", ts, "ab12", map[string]string{"sparkmr3_app": "mr3"}, 2, 0, true)
	var out bytes.Buffer
	o := e.teardownOptions("a", &out)
	o.KeepData = true
	if _, err := o.Run(context.Background()); err != nil {
		t.Fatalf("teardown: %v\n%s", err, out.String())
	}
	left := e.teardownLeftovers(t, "a", ts, teardownSharedNames...)
	want := []string{"persistentvolumeclaims/a-workdir", "persistentvolumes/" + e.ns + ".a-workdir"}
	sort.Strings(left)
	sort.Strings(want)
	if strings.Join(left, " ") != strings.Join(want, " ") {
		t.Errorf("left %v, want %v", left, want)
	}
	t.Cleanup(func() {
		_ = e.cs.CoreV1().PersistentVolumes().Delete(context.Background(), e.ns+".a-workdir", metav1.DeleteOptions{})
	})
}

// teardownCancelOn cancels a context when a progress line contains a marker.
type teardownCancelOn struct {
	marker string
	cancel context.CancelFunc
	buf    bytes.Buffer
	mu     sync.Mutex
}

func (w *teardownCancelOn) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if strings.Contains(string(p), w.marker) {
		w.cancel()
	}
	return w.buf.Write(p)
}

// TestTeardownInterruptedThenRerun: a teardown interrupted while it waits for the workers
// fails; the same teardown run again completes with nothing left.
func TestTeardownInterruptedThenRerun(t *testing.T) {
	e := teardownNewEnv(t)
	ts := e.teardownInstall(t, "a", teardownWorkdirValues())
	e.teardownSimulateMR3(t, "a", ts, "ab12", map[string]string{"sparkmr3_app": "mr3"}, 0, 3, true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &teardownCancelOn{marker: "waiting up to", cancel: cancel}
	o := e.teardownOptions("a", nil)
	o.Out, o.WorkerTimeout = w, time.Minute
	if _, err := o.Run(ctx); err == nil {
		t.Fatalf("interrupted teardown reported success:\n%s", w.buf.String())
	}
	var out bytes.Buffer
	if _, err := e.teardownOptions("a", &out).Run(context.Background()); err != nil {
		t.Fatalf("re-run: %v\n%s", err, out.String())
	}
	if left := e.teardownLeftovers(t, "a", ts, append(teardownWorkerNames("ab12", 3), teardownSharedNames...)...); len(left) > 0 {
		t.Errorf("left after re-run: %v", left)
	}
}

// TestTeardownAfterPlainUninstall: `helm uninstall` leaves MR3's objects; teardown still finds
// them (the AM Deployment mounts the release's conf ConfigMap) and removes them.
func TestTeardownAfterPlainUninstall(t *testing.T) {
	e := teardownNewEnv(t)
	ts := e.teardownInstall(t, "a", map[string]any{})
	e.teardownSimulateMR3(t, "a", ts, "ab12", map[string]string{"sparkmr3_app": "mr3"}, 2, 1, true)
	u := action.NewUninstall(e.helm)
	u.Wait, u.Timeout = true, time.Minute
	if _, err := u.Run("a"); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := e.teardownOptions("a", &out).Run(context.Background()); err != nil {
		t.Fatalf("teardown: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "has no Helm record") {
		t.Errorf("teardown did not tell that the release was already gone:\n%s", out.String())
	}
	if left := e.teardownLeftovers(t, "a", ts, append(teardownWorkerNames("ab12", 3), teardownSharedNames...)...); len(left) > 0 {
		t.Errorf("left: %v", left)
	}
}

// TestTeardownSparesOtherRelease: releases a and b share a namespace (b with its own AM
// Service name and master labels); tearing down a leaves b, b's MR3 objects, and the
// shared-name MR3 objects b still uses.
func TestTeardownSparesOtherRelease(t *testing.T) {
	e := teardownNewEnv(t)
	tsA := e.teardownInstall(t, "a", map[string]any{})
	tsB := e.teardownInstall(t, "b", map[string]any{
		"drivers": []any{map[string]any{"name": "b1"}},
		"mr3":     map[string]any{"amService": map[string]any{"name": "mr3-b"}, "masterLabels": map[string]any{"sparkmr3_app": "mr3-b"}},
	})
	if tsA == tsB {
		t.Skipf("both releases drew timestamp %s", tsA)
	}
	e.teardownSimulateMR3(t, "a", tsA, "ab12", map[string]string{"sparkmr3_app": "mr3"}, 2, 1, true)
	e.teardownSimulateMR3(t, "b", tsB, "cd34", map[string]string{"sparkmr3_app": "mr3-b"}, 2, 1, false)
	var out bytes.Buffer
	if _, err := e.teardownOptions("a", &out).Run(context.Background()); err != nil {
		t.Fatalf("teardown: %v\n%s", err, out.String())
	}
	if left := e.teardownLeftovers(t, "a", tsA, teardownWorkerNames("ab12", 3)...); len(left) > 0 {
		t.Errorf("release a left: %v", left)
	}
	bLeft := e.teardownLeftovers(t, "b", tsB, append(teardownWorkerNames("cd34", 3), teardownSharedNames...)...)
	for _, want := range []string{"deployments/mr3master-spark-" + tsB + "-0", "pods/mr3executor-cd34-1", "pods/mr3executor-cd34-3",
		"services/service-master-" + tsB + "-0", "configmaps/mr3conf-configmap-master", "configmaps/mr3conf-configmap-worker",
		"services/service-worker", "statefulsets/" + driverObjectName("b", "b1"), "secrets/b-token"} {
		if !teardownHas(bLeft, want) {
			t.Errorf("release b lost %s (has %v)", want, bLeft)
		}
	}
	if _, err := e.helm.Releases.Last("b"); err != nil {
		t.Errorf("release b record: %v", err)
	}
}

// BenchmarkTeardownP6 is the P6 hook for `make bench`: teardown of a release with 10 drivers
// and 50 MR3 Pods (AM + 49 workers owned by it) against `helm uninstall --wait` followed by
// the manual kubectl line for MR3's objects. Setup is not timed.
func BenchmarkTeardownP6(b *testing.B) {
	drivers := []any{}
	for i := 1; i <= 10; i++ {
		drivers = append(drivers, map[string]any{"name": fmt.Sprintf("spark%d", i)})
	}
	values := map[string]any{"drivers": drivers}
	setup := func(b *testing.B) (*teardownEnv, string) {
		b.StopTimer()
		defer b.StartTimer()
		e := teardownNewEnv(b)
		ts := e.teardownInstall(b, "p6", values)
		e.teardownSimulateMR3(b, "p6", ts, "ab12", map[string]string{"sparkmr3_app": "mr3"}, 49, 0, true)
		return e, ts
	}
	b.Run("sparkmr3-teardown", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			e, _ := setup(b)
			if _, err := e.teardownOptions("p6", nil).Run(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("helm-uninstall-wait+kubectl-delete", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			e, ts := setup(b)
			kc := e.c.Kubeconfig()
			helm := exec.Command(cluster.Tool(b, "helm3"), "uninstall", "p6", "-n", e.ns, "--wait", "--kubeconfig", kc)
			helm.Env = []string{"HOME=" + b.TempDir(), "PATH=/usr/bin:/bin"}
			if out, err := helm.CombinedOutput(); err != nil {
				b.Fatalf("helm uninstall: %v\n%s", err, out)
			}
			// What a user types after reading MR3's docs: delete the AM, its workers and the
			// MR3-made ConfigMaps/Services, and wait.
			kubectl := exec.Command(cluster.Tool(b, "kubectl"), "--kubeconfig", kc, "-n", e.ns, "delete", "--wait",
				"deployment/mr3master-spark-"+ts+"-0", "service/service-master-"+ts+"-0",
				"configmap/mr3conf-configmap-master", "configmap/mr3conf-configmap-worker", "service/service-worker")
			if out, err := kubectl.CombinedOutput(); err != nil {
				b.Fatalf("kubectl delete: %v\n%s", err, out)
			}
			kubectl = exec.Command(cluster.Tool(b, "kubectl"), "--kubeconfig", kc, "-n", e.ns, "delete", "pods", "--wait",
				"-l", "mr3-pod-role=container-role")
			if out, err := kubectl.CombinedOutput(); err != nil {
				b.Fatalf("kubectl delete pods: %v\n%s", err, out)
			}
		}
	})
}

// TestLocalDirsPVCInstallCheckTeardown: localDirs.type=persistentVolumeClaim. The test cluster
// has no StorageClass, so each driver's local-dir claim (from its StatefulSet's
// volumeClaimTemplates) stays Pending and the driver cannot be scheduled: the plugin does NOT
// call that release ready (install exits 4 naming the driver Pod), but it installs, `check`s
// clean, becomes ready for a driver once a volume exists, and teardown names each claim with
// what happens to its data and leaves no object of the release (the claims included).
func TestLocalDirsPVCInstallCheckTeardown(t *testing.T) {
	e := teardownNewEnv(t)
	p := newPluginProc(t, e.c.Kubeconfig())
	ctx := context.Background()
	out, errOut, code := p.run(t, "install", "lp", "-n", e.ns, "--set", "drivers[0].name=lp1", "--set", "drivers[1].name=lp2",
		"--set", "localDirs.type=persistentVolumeClaim", "--set", "localDirs.size=1Gi", "--timeout", "15s")
	if code != 4 || !strings.Contains(out+errOut, "pod/lp") {
		t.Fatalf("install: exit %d, want 4 (not ready: the claims cannot bind) naming a driver Pod\n%s\n%s", code, out, errOut)
	}
	t.Logf("install (no StorageClass):\n%s", errOut)
	tokSecret, err := e.cs.CoreV1().Secrets(e.ns).Get(ctx, "lp-mr3-token", metav1.GetOptions{})
	must(t, err)
	ts := string(tokSecret.Data[contract.KeyTimestamp])
	if out, errOut, code := p.run(t, "check", "lp", "-n", e.ns); code != 0 {
		t.Errorf("check of an installed localDirs.type=persistentVolumeClaim release: exit %d\n%s\n%s", code, out, errOut)
	}
	claims, err := e.cs.CoreV1().PersistentVolumeClaims(e.ns).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/instance=lp"})
	must(t, err)
	if len(claims.Items) != 2 {
		t.Fatalf("claims: %d, want local-dir-0-%s and local-dir-0-%s", len(claims.Items), driverPodName("lp", "lp1"), driverPodName("lp", "lp2"))
	}

	// A volume for one claim (bound by the PV controller): that driver becomes ready.
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: "pv-" + e.ns},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
			AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
			ClaimRef:                      &corev1.ObjectReference{Namespace: e.ns, Name: "local-dir-0-" + driverPodName("lp", "lp1")},
			PersistentVolumeSource:        corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/tmp/" + e.ns}},
		},
	}
	_, err = e.cs.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{})
	must(t, err)
	t.Cleanup(func() {
		_ = e.cs.CoreV1().PersistentVolumes().Delete(context.Background(), pv.Name, metav1.DeleteOptions{})
	})
	chartDriversReady(t, e.cs, e.ns, "lp", "lp1")

	var tdOut bytes.Buffer
	o := e.teardownOptions("lp", &tdOut)
	var shown string
	o.Confirm = func(p *teardown.Plan) (bool, error) { shown = p.Summary(); return true, nil }
	if _, err := o.Run(ctx); err != nil {
		t.Fatalf("teardown: %v\n%s", err, tdOut.String())
	}
	t.Logf("teardown plan:\n%s", shown)
	for _, want := range []string{
		"persistentvolumeclaim/local-dir-0-" + driverPodName("lp", "lp1") + " (local dir of driver lp1; bound to persistentvolume/pv-" + e.ns + ", reclaim policy Retain: the volume (hostPath /tmp/" + e.ns + ") keeps its data after the claim goes)",
		"persistentvolumeclaim/local-dir-0-" + driverPodName("lp", "lp2") + " (local dir of driver lp2; not bound to a volume: holds no data)",
	} {
		if !strings.Contains(shown, want) {
			t.Errorf("teardown plan lacks %q", want)
		}
	}
	if left := e.teardownLeftovers(t, "lp", ts); len(left) > 0 {
		t.Errorf("left after teardown: %v\n%s", left, tdOut.String())
	}
}

// TestTeardownSparesSameNameReleaseInPrefixNamespace: release "spark" in namespace NS and
// release "spark" in namespace NS-x, their cluster-scoped objects without Helm's annotations
// (as when applied from `helm template` output). Before, teardown took every labelled
// cluster-scoped object whose name started with "NS-", and so NS-x's ClusterRole, bindings and
// PersistentVolume. Now: exact names, bindings' subjects and the PV's claimRef in NS.
func TestTeardownSparesSameNameReleaseInPrefixNamespace(t *testing.T) {
	e := teardownNewEnv(t)
	ctx := context.Background()
	nsX := e.ns + "-x"
	_, err := e.cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: nsX}}, metav1.CreateOptions{})
	must(t, err)
	t.Cleanup(func() { _ = e.cs.CoreV1().Namespaces().Delete(context.Background(), nsX, metav1.DeleteOptions{}) })
	x := teardownEnvFor(t, e.c, nsX)
	values := func() map[string]any {
		v := teardownWorkdirValues()
		v["drivers"] = []any{map[string]any{"name": "spark1"}}
		return v
	}
	ts := e.teardownInstall(t, "spark", values())
	x.teardownInstall(t, "spark", values())
	// Strip Helm's ownership annotations from both releases' cluster-scoped objects.
	strip := []byte(`{"metadata":{"annotations":{"meta.helm.sh/release-name":null,"meta.helm.sh/release-namespace":null}}}`)
	sel := metav1.ListOptions{LabelSelector: "app.kubernetes.io/instance=spark"}
	crs, err := e.cs.RbacV1().ClusterRoles().List(ctx, sel)
	must(t, err)
	crbs, err := e.cs.RbacV1().ClusterRoleBindings().List(ctx, sel)
	must(t, err)
	pvs, err := e.cs.CoreV1().PersistentVolumes().List(ctx, sel)
	must(t, err)
	var xObjs []string
	for _, ns := range []string{e.ns, nsX} {
		for _, c := range crs.Items {
			if strings.HasPrefix(c.Name, ns+".spark-") {
				_, err = e.cs.RbacV1().ClusterRoles().Patch(ctx, c.Name, types.MergePatchType, strip, metav1.PatchOptions{})
				must(t, err)
				if ns == nsX {
					xObjs = append(xObjs, "clusterroles/"+c.Name)
				}
			}
		}
		for _, c := range crbs.Items {
			if strings.HasPrefix(c.Name, ns+".spark-") {
				_, err = e.cs.RbacV1().ClusterRoleBindings().Patch(ctx, c.Name, types.MergePatchType, strip, metav1.PatchOptions{})
				must(t, err)
				if ns == nsX {
					xObjs = append(xObjs, "clusterrolebindings/"+c.Name)
				}
			}
		}
		for _, c := range pvs.Items {
			if strings.HasPrefix(c.Name, ns+".spark-") {
				_, err = e.cs.CoreV1().PersistentVolumes().Patch(ctx, c.Name, types.MergePatchType, strip, metav1.PatchOptions{})
				must(t, err)
				if ns == nsX {
					xObjs = append(xObjs, "persistentvolumes/"+c.Name)
				}
			}
		}
	}
	if len(xObjs) != 4 {
		t.Fatalf("namespace %s's release has %v, want a ClusterRole, 2 bindings and a PV", nsX, xObjs)
	}
	t.Cleanup(func() {
		_, _ = x.teardownOptions("spark", nil).Run(context.Background())
	})

	var out bytes.Buffer
	o := e.teardownOptions("spark", &out)
	var shown string
	o.Confirm = func(p *teardown.Plan) (bool, error) { shown = p.Summary(); return true, nil }
	if _, err := o.Run(ctx); err != nil {
		t.Fatalf("teardown: %v\n%s", err, out.String())
	}
	t.Logf("plan:\n%s", shown)
	if left := e.teardownLeftovers(t, "spark", ts); len(left) > 0 {
		t.Errorf("release spark in %s left: %v", e.ns, left)
	}
	xLeft := x.teardownLeftovers(t, "spark", "")
	for _, want := range xObjs {
		if !teardownHas(xLeft, want) {
			t.Errorf("tearing down %s/spark deleted %s of %s/spark", e.ns, want, nsX)
		}
	}
	if !strings.Contains(shown, "Left alone (not tied to this release)") || !strings.Contains(shown, "binds ServiceAccounts of namespace "+nsX) {
		t.Errorf("the plan does not say what it leaves alone:\n%s", shown)
	}
}
