package teardown

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	kubefake "helm.sh/helm/v3/pkg/kube/fake"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage"
	"helm.sh/helm/v3/pkg/storage/driver"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
	tf "github.com/spark-mr3/spark-mr3/plugin/mr3runtime/mr3runtimetest"
)

const ns = "spark"

var master = map[string]string{"sparkmr3_app": "mr3"}

// world is a fake cluster plus helm's in-memory release storage.
type world struct {
	client *fake.Clientset
	helm   *action.Configuration
	out    bytes.Buffer
}

func newWorld(t *testing.T, objs ...runtime.Object) *world {
	t.Helper()
	w := &world{client: fake.NewClientset(objs...)}
	// The fake tracker does not implement DeleteCollection; do what the API server does.
	w.client.PrependReactor("delete-collection", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		dc := a.(k8stesting.DeleteCollectionAction)
		sel, err := labels.Parse(dc.GetListRestrictions().Labels.String())
		if err != nil {
			return true, nil, err
		}
		gvk := kindFor(a.GetResource())
		list, err := w.client.Tracker().List(a.GetResource(), gvk, a.GetNamespace())
		if err != nil {
			return true, nil, err
		}
		fsel := dc.GetListRestrictions().Fields
		items, _ := metaItems(list)
		for _, it := range items {
			if sel.Matches(labels.Set(it.GetLabels())) && (fsel == nil || fsel.Matches(podFields(it))) {
				_ = w.client.Tracker().Delete(a.GetResource(), a.GetNamespace(), it.GetName())
			}
		}
		return true, nil, nil
	})
	// Nor does it select Pods by field; the API server does.
	w.client.PrependReactor("list", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		fsel := a.(k8stesting.ListAction).GetListRestrictions().Fields
		if fsel == nil || fsel.Empty() {
			return false, nil, nil
		}
		list, err := w.client.Tracker().List(a.GetResource(), kindFor(a.GetResource()), a.GetNamespace())
		if err != nil {
			return true, nil, err
		}
		pl := list.(*corev1.PodList)
		out := &corev1.PodList{ListMeta: pl.ListMeta}
		for i := range pl.Items {
			if fsel.Matches(podFields(&pl.Items[i])) {
				out.Items = append(out.Items, pl.Items[i])
			}
		}
		return true, out, nil
	})
	mem := driver.NewMemory()
	mem.SetNamespace(ns)
	w.helm = &action.Configuration{Releases: storage.Init(mem), KubeClient: &kubefake.PrintingKubeClient{Out: io.Discard}, Log: func(string, ...any) {}}
	return w
}

// podFields are the fields the API server lets a Pod list select on that the tests use.
func podFields(o metav1.Object) fields.Set {
	f := fields.Set{"metadata.name": o.GetName(), "metadata.namespace": o.GetNamespace()}
	if p, ok := o.(*corev1.Pod); ok {
		f["spec.serviceAccountName"] = p.Spec.ServiceAccountName
	}
	return f
}

func kindFor(gvr schema.GroupVersionResource) schema.GroupVersionKind {
	kinds := map[string]string{"pods": "Pod", "statefulsets": "StatefulSet", "persistentvolumeclaims": "PersistentVolumeClaim", "services": "Service"}
	return gvr.GroupVersion().WithKind(kinds[gvr.Resource])
}

func metaItems(list runtime.Object) ([]metav1.Object, error) {
	var out []metav1.Object
	switch l := list.(type) {
	case *corev1.PodList:
		for i := range l.Items {
			out = append(out, &l.Items[i])
		}
	case *appsv1.StatefulSetList:
		for i := range l.Items {
			out = append(out, &l.Items[i])
		}
	case *corev1.PersistentVolumeClaimList:
		for i := range l.Items {
			out = append(out, &l.Items[i])
		}
	default:
		return nil, fmt.Errorf("unexpected list %T", list)
	}
	return out, nil
}

func (w *world) install(t *testing.T, name, ts string) {
	t.Helper()
	w.installRevision(t, name, ts, 1)
}

// installRevision records revision v of release name holding timestamp ts.
func (w *world) installRevision(t *testing.T, name, ts string, v int) {
	t.Helper()
	manifest := fmt.Sprintf(`---
apiVersion: v1
kind: Secret
metadata:
  name: %[1]s-token
  labels: {app.kubernetes.io/component: token}
stringData:
  MR3_APPLICATION_ID_TIMESTAMP: "%[2]s"
`, name, ts)
	rel := &release.Release{Name: name, Namespace: ns, Version: v, Manifest: manifest,
		Info:  &release.Info{Status: release.StatusDeployed},
		Chart: &chart.Chart{Metadata: &chart.Metadata{Name: "spark-mr3", Version: "0.1.0"}}}
	if err := w.helm.Releases.Create(rel); err != nil {
		t.Fatal(err)
	}
}

func (w *world) options() *Options {
	return &Options{Namespace: ns, Release: "a", Client: w.client, Helm: w.helm, Out: &w.out,
		Timeout: 20 * time.Second, WorkerTimeout: 20 * time.Second}
}

// releaseObjects are release "a": token, conf, 2 drivers, cluster-scoped objects, PV/PVC, and
// what MR3 made: AM Deployment and Pod, 3 workers and the 4 ConfigMaps/Services.
func releaseObjects(name, ts string, workers int) []runtime.Object {
	am := tf.AMDeployment(ns, name, ts, master)
	objs := []runtime.Object{tf.TokenSecret(ns, name, name, ts), tf.ConfConfigMap(ns, name, name, "sparkmr3_app=mr3"), am, tf.AMPod(am)}
	for i := 1; i <= workers; i++ {
		objs = append(objs, tf.WorkerPod(ns, "ab12", i, name, nil))
	}
	for _, d := range []string{name + "-spark1", name + "-spark2"} {
		l := tf.ReleaseLabels(name, "driver")
		objs = append(objs,
			&appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: d, Namespace: ns, Labels: l}},
			tf.DriverPod(ns, name, d),
			&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: d, Namespace: ns, Labels: l}})
	}
	helmed := func(n, component string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: n, Labels: tf.ReleaseLabels(name, component),
			Annotations: map[string]string{annoReleaseName: name, annoReleaseNamespace: ns}}
	}
	objs = append(objs,
		&rbacv1.ClusterRole{ObjectMeta: helmed(ns+"-"+name+"-node-reader", "rbac")},
		&rbacv1.ClusterRoleBinding{ObjectMeta: helmed(ns+"-"+name+"-node-reader-driver", "rbac")},
		&corev1.PersistentVolume{ObjectMeta: helmed(ns+"-"+name+"-workdir", contract.ComponentWorkdir)},
	)
	pvc := helmed(name+"-workdir", contract.ComponentWorkdir)
	pvc.Namespace = ns
	objs = append(objs, &corev1.PersistentVolumeClaim{ObjectMeta: pvc})
	return append(objs, tf.MR3ConfigMapsAndServices(ns, ts)...)
}

// amRemovesWorkers makes a Deployment delete behave like MR3: the DAGAppMaster deletes its
// ContainerWorkers and then its own Pod goes.
func (w *world) amRemovesWorkers() {
	w.client.PrependReactor("delete", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		name := a.(k8stesting.DeleteAction).GetName()
		pods, _ := w.client.Tracker().List(corev1.SchemeGroupVersion.WithResource("pods"), corev1.SchemeGroupVersion.WithKind("Pod"), ns)
		for _, p := range pods.(*corev1.PodList).Items {
			if p.Labels[contract.LabelPodRole] == contract.RoleContainer || strings.HasPrefix(p.Name, name+"-") {
				_ = w.client.Tracker().Delete(corev1.SchemeGroupVersion.WithResource("pods"), ns, p.Name)
			}
		}
		return false, nil, nil
	})
}

func (w *world) exists(t *testing.T, kind, name string) bool {
	t.Helper()
	ctx := context.Background()
	var err error
	switch kind {
	case "pod":
		_, err = w.client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
	case "deployment":
		_, err = w.client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	case "statefulset":
		_, err = w.client.AppsV1().StatefulSets(ns).Get(ctx, name, metav1.GetOptions{})
	case "configmap":
		_, err = w.client.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
	case "service":
		_, err = w.client.CoreV1().Services(ns).Get(ctx, name, metav1.GetOptions{})
	case "clusterrole":
		_, err = w.client.RbacV1().ClusterRoles().Get(ctx, name, metav1.GetOptions{})
	case "clusterrolebinding":
		_, err = w.client.RbacV1().ClusterRoleBindings().Get(ctx, name, metav1.GetOptions{})
	case "persistentvolume":
		_, err = w.client.CoreV1().PersistentVolumes().Get(ctx, name, metav1.GetOptions{})
	case "persistentvolumeclaim":
		_, err = w.client.CoreV1().PersistentVolumeClaims(ns).Get(ctx, name, metav1.GetOptions{})
	default:
		t.Fatalf("kind %s", kind)
	}
	if err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	return err == nil
}

var mr3Made = []string{"deployment/mr3master-spark-1234-0", "pod/mr3master-spark-1234-0-5d8f7c9b4-x2x7q",
	"pod/mr3executor-ab12-1", "pod/mr3executor-ab12-2", "pod/mr3executor-ab12-3",
	"configmap/mr3conf-configmap-master", "configmap/mr3conf-configmap-worker", "service/service-master-1234-0", "service/service-worker"}

var releaseMade = []string{"statefulset/a-spark1", "statefulset/a-spark2", "pod/a-spark1-0", "pod/a-spark2-0", "service/a-spark1", "service/a-spark2",
	"clusterrole/spark-a-node-reader", "clusterrolebinding/spark-a-node-reader-driver"}

var data = []string{"persistentvolume/spark-a-workdir", "persistentvolumeclaim/a-workdir"}

func (w *world) assertGone(t *testing.T, objs ...string) {
	t.Helper()
	for _, o := range objs {
		kind, name, _ := strings.Cut(o, "/")
		if w.exists(t, kind, name) {
			t.Errorf("%s still exists", o)
		}
	}
}

func (w *world) assertPresent(t *testing.T, objs ...string) {
	t.Helper()
	for _, o := range objs {
		kind, name, _ := strings.Cut(o, "/")
		if !w.exists(t, kind, name) {
			t.Errorf("%s was deleted", o)
		}
	}
}

// step is the index of the first action matching verb, resource and (optional) name.
func (w *world) step(t *testing.T, verb, resource, name string) int {
	t.Helper()
	for i, a := range w.client.Actions() {
		if a.GetVerb() != verb || a.GetResource().Resource != resource {
			continue
		}
		if d, ok := a.(k8stesting.DeleteAction); ok && name != "" && d.GetName() != name {
			continue
		}
		return i
	}
	t.Fatalf("no %s %s %s", verb, resource, name)
	return -1
}

func TestTeardownOrderAndCompleteness(t *testing.T) {
	w := newWorld(t, releaseObjects("a", "1234", 3)...)
	w.install(t, "a", "1234")
	w.amRemovesWorkers()
	res, err := w.options().Run(context.Background())
	if err != nil {
		t.Fatalf("%v\n%s", err, w.out.String())
	}
	w.assertGone(t, mr3Made...)
	w.assertGone(t, releaseMade...)
	w.assertGone(t, data...)
	if !res.Uninstalled || len(res.ForcedPods) != 0 {
		t.Errorf("result %+v", res)
	}
	if _, err := w.helm.Releases.History("a"); !errors.Is(err, driver.ErrReleaseNotFound) {
		t.Errorf("helm record still there: %v", err)
	}
	am := w.step(t, "delete", "deployments", "mr3master-spark-1234-0")
	drivers := w.step(t, "delete-collection", "statefulsets", "")
	cm := w.step(t, "delete", "configmaps", "mr3conf-configmap-master")
	cr := w.step(t, "delete", "clusterroles", "")
	if !(am < drivers && drivers < cm && cm < cr) {
		t.Errorf("order: AM %d, drivers %d, MR3 configmaps %d, cluster roles %d", am, drivers, cm, cr)
	}
	// Never a delete by mr3-pod-role=master-role.
	for _, a := range w.client.Actions() {
		if dc, ok := a.(k8stesting.DeleteCollectionActionImpl); ok && strings.Contains(dc.GetListRestrictions().Labels.String(), "master-role") {
			t.Errorf("delete-collection by %s", dc.GetListRestrictions().Labels)
		}
	}
	if strings.Contains(w.out.String(), "00000000-test-token") {
		t.Error("token printed")
	}
}

func TestTeardownForcesWorkersAfterTimeout(t *testing.T) {
	w := newWorld(t, releaseObjects("a", "1234", 3)...)
	w.install(t, "a", "1234")
	o := w.options()
	o.WorkerTimeout = 100 * time.Millisecond
	res, err := o.Run(context.Background())
	if err != nil {
		t.Fatalf("%v\n%s", err, w.out.String())
	}
	w.assertGone(t, mr3Made...)
	if got := strings.Join(res.ForcedPods, " "); got != "mr3executor-ab12-1 mr3executor-ab12-2 mr3executor-ab12-3 mr3master-spark-1234-0-5d8f7c9b4-x2x7q" {
		t.Errorf("forced %q", got)
	}
	sawCollection := false
	for _, a := range w.client.Actions() {
		if dc, ok := a.(k8stesting.DeleteCollectionActionImpl); ok && a.GetResource().Resource == "pods" && strings.Contains(dc.GetListRestrictions().Labels.String(), "container-role") {
			sawCollection = true
			if g := dc.GetDeleteOptions().GracePeriodSeconds; g == nil || *g != 0 {
				t.Errorf("workers deleted with grace %v", g)
			}
		}
	}
	if !sawCollection {
		t.Error("workers were not deleted as one collection")
	}
}

func TestTeardownKeepData(t *testing.T) {
	w := newWorld(t, releaseObjects("a", "1234", 1)...)
	w.install(t, "a", "1234")
	w.amRemovesWorkers()
	o := w.options()
	o.KeepData = true
	res, err := o.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	w.assertPresent(t, data...)
	w.assertGone(t, releaseMade...)
	if got := strings.Join(res.Plan.Kept, " "); got != strings.Join(data, " ") {
		t.Errorf("kept %q", got)
	}
}

// The user ran `helm uninstall` first: no record, no token Secret, MR3's objects remain.
func TestTeardownReleaseAlreadyUninstalled(t *testing.T) {
	objs := releaseObjects("a", "1234", 3)[2:] // without the token Secret and conf ConfigMap
	w := newWorld(t, objs...)
	w.amRemovesWorkers()
	res, err := w.options().Run(context.Background())
	if err != nil {
		t.Fatalf("%v\n%s", err, w.out.String())
	}
	w.assertGone(t, mr3Made...)
	w.assertGone(t, data...)
	if res.Uninstalled {
		t.Error("claims to have uninstalled")
	}
	if !strings.Contains(w.out.String(), `release "a" has no Helm record in namespace "spark"`) {
		t.Errorf("output:\n%s", w.out.String())
	}
}

func TestTeardownNothingLeft(t *testing.T) {
	w := newWorld(t)
	_, err := w.options().Run(context.Background())
	if !errors.Is(err, ErrNothingToTearDown) || !strings.Contains(err.Error(), `release "a" not found in namespace "spark"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestTeardownLeavesOtherRelease(t *testing.T) {
	objs := releaseObjects("a", "1234", 0)
	// Release b in the same namespace with its own timestamp and master labels, and workers
	// tied to it by mounting b-conf. MR3's shared-name objects stay: b still needs them.
	amB := tf.AMDeployment(ns, "b", "777", map[string]string{"sparkmr3_app": "mr3-b"})
	objs = append(objs, tf.TokenSecret(ns, "b", "b", "777"), tf.ConfConfigMap(ns, "b", "b", "sparkmr3_app=mr3-b"),
		amB, tf.AMPod(amB), tf.WorkerPod(ns, "cd34", 1, "b", nil), tf.WorkerPod(ns, "cd34", 2, "b", nil),
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "service-master-777-0", Namespace: ns}})
	w := newWorld(t, objs...)
	w.install(t, "a", "1234")
	w.install(t, "b", "777")
	o := w.options()
	o.WorkerTimeout = 50 * time.Millisecond
	res, err := o.Run(context.Background())
	if err != nil {
		t.Fatalf("%v\n%s", err, w.out.String())
	}
	w.assertGone(t, "deployment/mr3master-spark-1234-0", "service/service-master-1234-0")
	w.assertPresent(t, "deployment/mr3master-spark-777-0", "pod/mr3master-spark-777-0-5d8f7c9b4-x2x7q",
		"pod/mr3executor-cd34-1", "pod/mr3executor-cd34-2", "service/service-master-777-0",
		"configmap/mr3conf-configmap-master", "configmap/mr3conf-configmap-worker", "service/service-worker")
	if !strings.Contains(res.Plan.Summary(), "Left alone (not tied to this release)") {
		t.Errorf("summary:\n%s", res.Plan.Summary())
	}
	if _, err := w.helm.Releases.History("b"); err != nil {
		t.Errorf("release b: %v", err)
	}
}

func TestTeardownInterruptedThenRerun(t *testing.T) {
	w := newWorld(t, releaseObjects("a", "1234", 3)...)
	w.install(t, "a", "1234")
	ctx, cancel := context.WithCancel(context.Background())
	// Interrupt right after the AM Deployment is deleted, while waiting for the workers.
	w.client.PrependReactor("delete", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
		cancel()
		return false, nil, nil
	})
	if _, err := w.options().Run(ctx); err == nil {
		t.Fatal("interrupted teardown succeeded")
	}
	w.assertPresent(t, "pod/mr3executor-ab12-1", "statefulset/a-spark1")
	o := w.options()
	o.WorkerTimeout = 50 * time.Millisecond
	if _, err := o.Run(context.Background()); err != nil {
		t.Fatalf("re-run: %v\n%s", err, w.out.String())
	}
	w.assertGone(t, mr3Made...)
	w.assertGone(t, releaseMade...)
}

func TestTeardownNotConfirmed(t *testing.T) {
	w := newWorld(t, releaseObjects("a", "1234", 1)...)
	w.install(t, "a", "1234")
	o := w.options()
	var shown string
	o.Confirm = func(p *Plan) (bool, error) { shown = p.Summary(); return false, nil }
	if _, err := o.Run(context.Background()); !errors.Is(err, ErrNotConfirmed) {
		t.Fatalf("err = %v", err)
	}
	for _, a := range w.client.Actions() {
		if strings.HasPrefix(a.GetVerb(), "delete") {
			t.Errorf("deleted before confirmation: %v", a)
		}
	}
	for _, want := range []string{`Release "a" in namespace "spark" (revision 1, deployed)`, "deployment/mr3master-spark-1234-0", "statefulset/a-spark1", "clusterrole/spark-a-node-reader"} {
		if !strings.Contains(shown, want) {
			t.Errorf("plan lacks %q:\n%s", want, shown)
		}
	}
}

// A user who may delete the drivers but not list ControllerRevisions or EndpointSlices still
// gets a complete teardown (those are not waited for), not a wait until the timeout.
func TestTeardownWithoutPermissionToListDriverLeftovers(t *testing.T) {
	w := newWorld(t, releaseObjects("a", "1234", 2)...)
	w.install(t, "a", "1234")
	w.amRemovesWorkers()
	for _, res := range []string{"controllerrevisions", "endpointslices"} {
		w.client.PrependReactor("list", res, func(a k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: res}, "", errors.New("RBAC: no list"))
		})
	}
	o := w.options()
	o.Timeout = 10 * time.Second
	if _, err := o.Run(context.Background()); err != nil {
		t.Fatalf("%v\n%s", err, w.out.String())
	}
	w.assertGone(t, releaseMade...)
}

// After a token change the Secret holds timestamp 2000, but the DAGAppMaster of 1234 (its
// workers, its AM Service and MR3's shared objects) is still the release's: teardown removes
// both applications' objects.
func TestTeardownAfterTokenChange(t *testing.T) {
	objs := releaseObjects("a", "1234", 3)
	objs[0] = tf.TokenSecret(ns, "a", "a", "2000")
	amNew := tf.AMDeployment(ns, "a", "2000", master)
	objs = append(objs, amNew, tf.AMPod(amNew), tf.WorkerPod(ns, "9f9f", 1, "a", nil),
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "service-master-2000-0", Namespace: ns}})
	w := newWorld(t, objs...)
	w.installRevision(t, "a", "1234", 1)
	w.installRevision(t, "a", "2000", 2)
	w.amRemovesWorkers()
	res, err := w.options().Run(context.Background())
	if err != nil {
		t.Fatalf("%v\n%s", err, w.out.String())
	}
	w.assertGone(t, mr3Made...)
	w.assertGone(t, "deployment/mr3master-spark-2000-0", "pod/mr3master-spark-2000-0-5d8f7c9b4-x2x7q", "pod/mr3executor-9f9f-1", "service/service-master-2000-0")
	w.assertGone(t, releaseMade...)
	if got := strings.Join(res.Plan.MR3.Timestamps, " "); got != "1234 2000" {
		t.Errorf("timestamps %q", got)
	}
}

// localDirs.type=persistentVolumeClaim: each driver's StatefulSet made claims from its
// volumeClaimTemplates; Helm does not know them. Teardown names them, with what happens to
// their data, and deletes them (or keeps them with --keep-data).
func TestTeardownDriverLocalDirClaims(t *testing.T) {
	claim := func(name, driver, volume string) *corev1.PersistentVolumeClaim {
		return &corev1.PersistentVolumeClaim{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{
				contract.LabelName: "spark-mr3", contract.LabelInstance: "a", "sparkmr3_app": driver}},
			Spec: corev1.PersistentVolumeClaimSpec{VolumeName: volume},
		}
	}
	provisioned := &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "pvc-1f2e"},
		Spec: corev1.PersistentVolumeSpec{PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimDelete,
			PersistentVolumeSource: corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{Driver: "ebs.csi.aws.com", VolumeHandle: "vol-9"}}}}
	other := claim("local-dir-0-x-0", "x", "")
	other.Labels[contract.LabelInstance] = "b"
	for _, keep := range []bool{false, true} {
		t.Run(fmt.Sprintf("keep-data=%v", keep), func(t *testing.T) {
			objs := append(releaseObjects("a", "1234", 0), claim("local-dir-0-a-spark1-0", "a-spark1", "pvc-1f2e"),
				claim("local-dir-0-a-spark2-0", "a-spark2", ""), provisioned.DeepCopy(), other.DeepCopy())
			w := newWorld(t, objs...)
			w.install(t, "a", "1234")
			w.amRemovesWorkers()
			o := w.options()
			o.KeepData = keep
			var shown string
			o.Confirm = func(p *Plan) (bool, error) { shown = p.Summary(); return true, nil }
			if _, err := o.Run(context.Background()); err != nil {
				t.Fatalf("%v\n%s", err, w.out.String())
			}
			claims := []string{"persistentvolumeclaim/local-dir-0-a-spark1-0", "persistentvolumeclaim/local-dir-0-a-spark2-0"}
			w.assertPresent(t, "persistentvolumeclaim/local-dir-0-x-0")
			if keep {
				w.assertPresent(t, claims...)
				if !strings.Contains(shown, "Kept (--keep-data):\n") || !strings.Contains(shown, "  persistentvolumeclaim/local-dir-0-a-spark1-0\n") {
					t.Errorf("plan:\n%s", shown)
				}
				return
			}
			w.assertGone(t, claims...)
			for _, want := range []string{
				"Data that will be deleted (keep it with --keep-data):",
				"persistentvolumeclaim/local-dir-0-a-spark1-0 (local dir of driver a-spark1; bound to persistentvolume/pvc-1f2e, reclaim policy Delete: the volume (csi ebs.csi.aws.com vol-9) and its data are deleted with the claim)",
				"persistentvolumeclaim/local-dir-0-a-spark2-0 (local dir of driver a-spark2; not bound to a volume: holds no data)",
				"persistentvolume/spark-a-workdir (reclaim policy Retain: the PersistentVolume object is deleted; the storage is not erased by Kubernetes)",
			} {
				if !strings.Contains(shown, want) {
					t.Errorf("plan lacks %q:\n%s", want, shown)
				}
			}
			if strings.Contains(shown, "local-dir-0-x-0") {
				t.Errorf("plan names release b's claim:\n%s", shown)
			}
		})
	}
}

// Release "a" in namespace "spark" and a release "a" in namespace "spark-x" (names
// "spark-x-a-…" start with "spark-"): cluster-scoped objects without Helm's annotations (made
// from `helm template` output) are the release's only by exact name AND a binding's subjects /
// a volume's claimRef in this namespace. The other namespace's ClusterRole, binding and PV stay.
func TestTeardownSparesSameReleaseInOtherNamespace(t *testing.T) {
	bare := func(name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: name, Labels: tf.ReleaseLabels("a", "rbac")}
	}
	crb := func(ns string) *rbacv1.ClusterRoleBinding {
		return &rbacv1.ClusterRoleBinding{ObjectMeta: bare(ns + "-a-node-reader-driver"),
			RoleRef:  rbacv1.RoleRef{Kind: "ClusterRole", Name: ns + "-a-node-reader"},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "a-driver", Namespace: ns}}}
	}
	pv := func(ns string) *corev1.PersistentVolume {
		return &corev1.PersistentVolume{ObjectMeta: bare(ns + "-a-workdir"),
			Spec: corev1.PersistentVolumeSpec{ClaimRef: &corev1.ObjectReference{Namespace: ns, Name: "a-workdir"}}}
	}
	objs := []runtime.Object{tf.TokenSecret(ns, "a", "a", "1234"),
		&rbacv1.ClusterRole{ObjectMeta: bare("spark-a-node-reader")}, crb("spark"), pv("spark"),
		&rbacv1.ClusterRole{ObjectMeta: bare("spark-x-a-node-reader")}, crb("spark-x"), pv("spark-x"),
		// Labelled as ours, with our prefix, but no name the release has.
		&rbacv1.ClusterRole{ObjectMeta: bare("spark-a-extra")},
	}
	w := newWorld(t, objs...)
	w.install(t, "a", "1234")
	res, err := w.options().Run(context.Background())
	if err != nil {
		t.Fatalf("%v\n%s", err, w.out.String())
	}
	w.assertGone(t, "clusterrole/spark-a-node-reader", "clusterrolebinding/spark-a-node-reader-driver", "persistentvolume/spark-a-workdir")
	w.assertPresent(t, "clusterrole/spark-x-a-node-reader", "clusterrolebinding/spark-x-a-node-reader-driver", "persistentvolume/spark-x-a-workdir", "clusterrole/spark-a-extra")
	want := []string{
		"clusterrole/spark-a-extra: not a name this release has",
		"clusterrole/spark-x-a-node-reader: bound to ServiceAccounts of another namespace",
		"clusterrolebinding/spark-x-a-node-reader-driver: binds ServiceAccounts of namespace spark-x",
		"persistentvolume/spark-x-a-workdir: bound to a claim in namespace spark-x",
	}
	if got := strings.Join(res.Plan.LeftAlone, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("left alone:\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
}

// In the namespace, teardown deletes objects with the release's instance label only when they
// also carry the chart's name label and, if Helm's annotations are there, name this release.
func TestTeardownInNamespaceOwnership(t *testing.T) {
	objs := releaseObjects("a", "1234", 0)
	otherChart := tf.ReleaseLabels("a", "driver")
	otherChart["app.kubernetes.io/name"] = "other-chart"
	otherRelease := metav1.ObjectMeta{Name: "b-spark9", Namespace: ns, Labels: tf.ReleaseLabels("a", "driver"),
		Annotations: map[string]string{annoReleaseName: "b", annoReleaseNamespace: ns}}
	objs = append(objs,
		&appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "foreign", Namespace: ns, Labels: otherChart}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "foreign", Namespace: ns, Labels: otherChart}},
		&appsv1.StatefulSet{ObjectMeta: otherRelease},
		&corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "local-dir-0-b-spark9-0", Namespace: ns, Labels: tf.ReleaseLabels("a", "driver"),
			Annotations: map[string]string{annoReleaseName: "b", annoReleaseNamespace: ns}}},
	)
	w := newWorld(t, objs...)
	w.install(t, "a", "1234")
	w.amRemovesWorkers()
	res, err := w.options().Run(context.Background())
	if err != nil {
		t.Fatalf("%v\n%s", err, w.out.String())
	}
	w.assertGone(t, releaseMade...)
	w.assertPresent(t, "statefulset/foreign", "service/foreign", "statefulset/b-spark9", "persistentvolumeclaim/local-dir-0-b-spark9-0")
	if got := strings.Join(res.Plan.LeftAlone, "\n"); !strings.Contains(got, `statefulset/b-spark9: Helm release "b" in namespace "spark" owns it`) {
		t.Errorf("left alone:\n%s", got)
	}
}

// --dry-run: the plan, nothing deleted, no confirmation asked.
func TestTeardownDryRun(t *testing.T) {
	w := newWorld(t, releaseObjects("a", "1234", 2)...)
	w.install(t, "a", "1234")
	o := w.options()
	o.DryRun = true
	o.Confirm = func(*Plan) (bool, error) { t.Fatal("dry run asked to confirm"); return false, nil }
	res, err := o.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range w.client.Actions() {
		if strings.HasPrefix(a.GetVerb(), "delete") || a.GetVerb() == "create" || a.GetVerb() == "update" || a.GetVerb() == "patch" {
			t.Errorf("dry run changed the cluster: %v", a)
		}
	}
	if _, err := w.helm.Releases.History("a"); err != nil {
		t.Errorf("dry run removed the release record: %v", err)
	}
	if !strings.Contains(res.Plan.Summary(), "deployment/mr3master-spark-1234-0") || !strings.Contains(res.Plan.Summary(), "persistentvolumeclaim/a-workdir") {
		t.Errorf("plan:\n%s", res.Plan.Summary())
	}
}

// A release whose mr3-site.xml is broken (check refuses it) is still torn down completely;
// the plan names the problem.
func TestTeardownBrokenSite(t *testing.T) {
	objs := releaseObjects("a", "1234", 3)
	objs[1].(*corev1.ConfigMap).Data[contract.FileMR3Site] = "<configuration><property>"
	w := newWorld(t, objs...)
	w.install(t, "a", "1234")
	w.amRemovesWorkers()
	res, err := w.options().Run(context.Background())
	if err != nil {
		t.Fatalf("%v\n%s", err, w.out.String())
	}
	w.assertGone(t, mr3Made...)
	w.assertGone(t, releaseMade...)
	if out := w.out.String(); !strings.Contains(out, "warning: ConfigMap a-conf: mr3-site.xml line 1") {
		t.Errorf("teardown does not name the broken mr3-site.xml:\n%s", out)
	}
	if plan := res.Plan.Summary(); !strings.Contains(plan, "Problems (teardown goes on without what they hide):\n  ConfigMap a-conf: mr3-site.xml line 1") {
		t.Errorf("plan does not name the broken mr3-site.xml:\n%s", plan)
	}
}

// requests counts the client's requests as "verb resource" (subresources and watches included).
func (w *world) requests() map[string]int {
	n := map[string]int{}
	for _, a := range w.client.Actions() {
		n[a.GetVerb()+" "+a.GetResource().Resource]++
	}
	return n
}

// P7 (issue 15): forcing 1 or 1,000 ContainerWorker Pods takes the same requests: one
// DeleteCollection for all workers, no DELETE per Pod.
func TestTeardownRequestsConstantInWorkers(t *testing.T) {
	counts := map[int]map[string]int{}
	for _, n := range []int{1, 1000} {
		w := newWorld(t, releaseObjects("a", "1234", n)...)
		w.install(t, "a", "1234")
		o := w.options()
		o.WorkerTimeout = 50 * time.Millisecond
		res, err := o.Run(context.Background())
		if err != nil {
			t.Fatalf("%d workers: %v\n%s", n, err, w.out.String())
		}
		if len(res.ForcedPods) != n+1 {
			t.Errorf("%d workers: forced %d pods", n, len(res.ForcedPods))
		}
		if left := w.podNames(t); len(left) != 0 {
			t.Errorf("%d workers: left %v", n, left)
		}
		counts[n] = w.requests()
	}
	if fmt.Sprint(counts[1]) != fmt.Sprint(counts[1000]) {
		t.Errorf("requests grow with the workers:\n1:    %v\n1000: %v", counts[1], counts[1000])
	}
	if got := counts[1000]["delete pods"]; got > 1 {
		t.Errorf("%d single-pod deletes for 1,000 workers (want the AM Pod only)", got)
	}
	if got := counts[1000]["delete-collection pods"]; got < 1 {
		t.Errorf("no DeleteCollection of pods: %v", counts[1000])
	}
}

// With another release's workers in the namespace, the worker ServiceAccount still makes the
// selector exact: one DeleteCollection by label and field, and the other release's workers
// (another account) stay.
func TestTeardownWorkersByServiceAccountBesideOtherRelease(t *testing.T) {
	for _, n := range []int{1, 1000} {
		objs := releaseObjects("a", "1234", n)
		amB := tf.AMDeployment(ns, "b", "777", map[string]string{"sparkmr3_app": "mr3-b"})
		objs = append(objs, tf.TokenSecret(ns, "b", "b", "777"), tf.ConfConfigMap(ns, "b", "b", "sparkmr3_app=mr3-b"),
			amB, tf.AMPod(amB), tf.WorkerPod(ns, "cd34", 1, "b", nil), tf.WorkerPod(ns, "cd34", 2, "b", nil))
		w := newWorld(t, objs...)
		w.install(t, "a", "1234")
		w.install(t, "b", "777")
		o := w.options()
		o.WorkerTimeout = 50 * time.Millisecond
		if _, err := o.Run(context.Background()); err != nil {
			t.Fatalf("%v\n%s", err, w.out.String())
		}
		w.assertPresent(t, "deployment/mr3master-spark-777-0", "pod/mr3master-spark-777-0-5d8f7c9b4-x2x7q",
			"pod/mr3executor-cd34-1", "pod/mr3executor-cd34-2")
		if left := w.podNames(t); strings.Contains(strings.Join(left, " "), "ab12") {
			t.Errorf("%d workers: release a's workers left: %v", n, left)
		}
		var dcs []string
		for _, a := range w.client.Actions() {
			if dc, ok := a.(k8stesting.DeleteCollectionActionImpl); ok && a.GetResource().Resource == "pods" && strings.Contains(dc.GetListRestrictions().Labels.String(), "container-role") {
				dcs = append(dcs, dc.GetListRestrictions().Labels.String()+" "+dc.GetListRestrictions().Fields.String())
			}
		}
		want := "mr3-pod-role=container-role spec.serviceAccountName=a-worker"
		if strings.Join(dcs, "|") != want {
			t.Errorf("%d workers: pod delete-collections %q, want %q", n, dcs, want)
		}
		if got := w.requests()["delete pods"]; got != 1 {
			t.Errorf("%d workers: %d single-pod deletes, want 1 (the AM Pod)", n, got)
		}
	}
}

// A Pod of another application running as the release's worker account (not attributed to
// the release) makes that selector inexact: the release's workers go one by one, the other
// Pod stays.
func TestTeardownInexactWorkerSelectorDeletesByName(t *testing.T) {
	objs := releaseObjects("a", "1234", 2)
	// Owned by release b's DAGAppMaster, yet running as a-worker.
	amB := tf.AMDeployment(ns, "b", "777", map[string]string{"sparkmr3_app": "mr3-b"})
	amPodB := tf.AMPod(amB)
	stranger := tf.WorkerPod(ns, "ef56", 1, "a", amPodB)
	objs = append(objs, tf.TokenSecret(ns, "b", "b", "777"), tf.ConfConfigMap(ns, "b", "b", "sparkmr3_app=mr3-b"), amB, amPodB, stranger)
	w := newWorld(t, objs...)
	w.install(t, "a", "1234")
	w.install(t, "b", "777")
	o := w.options()
	o.WorkerTimeout = 50 * time.Millisecond
	if _, err := o.Run(context.Background()); err != nil {
		t.Fatalf("%v\n%s", err, w.out.String())
	}
	w.assertPresent(t, "pod/mr3executor-ef56-1")
	w.assertGone(t, "pod/mr3executor-ab12-1", "pod/mr3executor-ab12-2")
	if got := w.requests()["delete-collection pods"]; got != 1 { // the drivers' and nothing else
		t.Errorf("%d pod delete-collections, want the drivers' only", got)
	}
}

func (w *world) podNames(t *testing.T) []string {
	t.Helper()
	l, err := w.client.Tracker().List(corev1.SchemeGroupVersion.WithResource("pods"), corev1.SchemeGroupVersion.WithKind("Pod"), ns)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range l.(*corev1.PodList).Items {
		out = append(out, p.Name)
	}
	return out
}
