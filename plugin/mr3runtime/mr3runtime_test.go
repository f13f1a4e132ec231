package mr3runtime_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/release"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"github.com/spark-mr3/spark-mr3/plugin/mr3runtime"
	tf "github.com/spark-mr3/spark-mr3/plugin/mr3runtime/mr3runtimetest"
)

const ns = "spark"

var defaultMaster = map[string]string{"sparkmr3_app": "mr3"}

// oneRelease is release "a" (ts 1234) with its AM, 3 workers, a driver and the 4 MR3 objects.
func oneRelease(ownerRefs bool) []runtime.Object {
	am := tf.AMDeployment(ns, "a", "1234", defaultMaster)
	amPod := tf.AMPod(am)
	objs := []runtime.Object{tf.TokenSecret(ns, "a", "a", "1234"), tf.ConfConfigMap(ns, "a", "a", "sparkmr3_app=mr3"), am, amPod, tf.DriverPod(ns, "a", "spark1")}
	for i := 1; i <= 3; i++ {
		var owner *corev1.Pod
		if ownerRefs {
			owner = amPod
		}
		objs = append(objs, tf.WorkerPod(ns, "ab12", i, "", owner))
	}
	return append(objs, tf.MR3ConfigMapsAndServices(ns, "1234")...)
}

func names(o *mr3runtime.Objects) string { return strings.Join(o.Names(), " ") }

func TestFindSingleRelease(t *testing.T) {
	c := fake.NewClientset(oneRelease(false)...)
	o, err := mr3runtime.Find(context.Background(), c, ns, "a")
	if err != nil {
		t.Fatal(err)
	}
	if o.Timestamp != "1234" || o.TimestampSource != "Secret a-token" {
		t.Errorf("timestamp = %q from %q", o.Timestamp, o.TimestampSource)
	}
	want := "deployment/mr3master-spark-1234-0 pod/mr3master-spark-1234-0-5d8f7c9b4-x2x7q " +
		"pod/mr3executor-ab12-1 pod/mr3executor-ab12-2 pod/mr3executor-ab12-3 " +
		"configmap/mr3conf-configmap-master configmap/mr3conf-configmap-worker service/service-master-1234-0 service/service-worker"
	if got := names(o); got != want {
		t.Errorf("found\n %s\nwant\n %s", got, want)
	}
	for _, p := range append(o.AMPods, o.WorkerPods...) {
		if p.Labels[contract.LabelComponent] == contract.ComponentDriver {
			t.Errorf("driver pod %s counted as MR3's", p.Name)
		}
	}
	if len(o.Notes) != 1 || !strings.Contains(o.Notes[0], "3 ContainerWorker pod(s) attributed") { // tied by the sole-application rule
		t.Errorf("notes = %q", o.Notes)
	}
}

func TestFindMasterLabelsFromConf(t *testing.T) {
	objs := oneRelease(true)
	objs[1] = tf.ConfConfigMap(ns, "a", "a", "sparkmr3_app=am-a, team=x")
	c := fake.NewClientset(objs...)
	o, err := mr3runtime.Find(context.Background(), c, ns, "a")
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"sparkmr3_app": "am-a", "team": "x"}; !reflect.DeepEqual(o.MasterLabels, want) {
		t.Errorf("master labels = %v", o.MasterLabels)
	}
	// The AM Pod is the Pod of the release's AM Deployment whatever labels it carries (an
	// upgrade may have changed mr3.masterLabels since MR3 made it).
	if len(o.AMPods) != 1 || o.MasterLabelsSource != "ConfigMap a-conf" {
		t.Errorf("AM pods = %v, master labels from %q", names(o), o.MasterLabelsSource)
	}
}

func TestFindMasterLabelsFromService(t *testing.T) {
	objs := oneRelease(true)[:1] // token only: no conf ConfigMap
	objs = append(objs, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "mr3", Namespace: ns, Labels: tf.ReleaseLabels("a", contract.ComponentAMService)},
		Spec:       corev1.ServiceSpec{Selector: map[string]string{"sparkmr3_app": "mr3-a"}},
	})
	o, err := mr3runtime.Find(context.Background(), fake.NewClientset(objs...), ns, "a")
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"sparkmr3_app": "mr3-a"}; !reflect.DeepEqual(o.MasterLabels, want) {
		t.Errorf("master labels = %v", o.MasterLabels)
	}
}

// Two releases in one namespace: each finds only its own objects; the shared-name objects are
// claimed by neither (both token Secrets exist) unless an ownerReference decides.
func TestFindTwoReleases(t *testing.T) {
	objs := oneRelease(true)
	amB := tf.AMDeployment(ns, "b", "777", map[string]string{"sparkmr3_app": "mr3-b"})
	amPodB := tf.AMPod(amB)
	objs = append(objs, tf.TokenSecret(ns, "b", "b", "777"), amB, amPodB,
		tf.WorkerPod(ns, "cd34", 1, "", amPodB), // tied by ownerReference
		tf.WorkerPod(ns, "cd34", 2, "b", nil),   // tied by mounting b-conf
		tf.WorkerPod(ns, "ef56", 1, "", nil),    // tied to nothing
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: contract.AMServiceName("777"), Namespace: ns}},
	)
	c := fake.NewClientset(objs...)
	a, err := mr3runtime.Find(context.Background(), c, ns, "a")
	if err != nil {
		t.Fatal(err)
	}
	wantA := "deployment/mr3master-spark-1234-0 pod/mr3master-spark-1234-0-5d8f7c9b4-x2x7q " +
		"pod/mr3executor-ab12-1 pod/mr3executor-ab12-2 pod/mr3executor-ab12-3 service/service-master-1234-0"
	if got := names(a); got != wantA {
		t.Errorf("release a found\n %s\nwant\n %s", got, wantA)
	}
	if !reflect.DeepEqual(a.OtherTimestamps, []string{"777"}) {
		t.Errorf("other timestamps = %v", a.OtherTimestamps)
	}
	var un []string
	for _, u := range a.Unattributed {
		un = append(un, u.Name)
	}
	wantUn := []string{"mr3conf-configmap-master", "mr3conf-configmap-worker", "mr3executor-cd34-1", "mr3executor-cd34-2", "mr3executor-ef56-1", "service-worker"}
	if !reflect.DeepEqual(un, wantUn) {
		t.Errorf("unattributed = %v, want %v", un, wantUn)
	}

	b, err := mr3runtime.Find(context.Background(), c, ns, "b")
	if err != nil {
		t.Fatal(err)
	}
	wantB := "deployment/mr3master-spark-777-0 pod/mr3master-spark-777-0-5d8f7c9b4-x2x7q " +
		"pod/mr3executor-cd34-1 pod/mr3executor-cd34-2 service/service-master-777-0"
	if got := names(b); got != wantB {
		t.Errorf("release b found\n %s\nwant\n %s", got, wantB)
	}
}

// With the token Secret gone (release uninstalled by hand) the AM Deployment is still tied to
// the release because its pod template mounts the release's conf ConfigMap.
func TestFindReleaseGone(t *testing.T) {
	objs := oneRelease(false)[2:] // no token Secret, no conf ConfigMap
	o, err := mr3runtime.Find(context.Background(), fake.NewClientset(objs...), ns, "a")
	if err != nil {
		t.Fatal(err)
	}
	if o.Timestamp != "1234" || !strings.HasPrefix(o.TimestampSource, "Deployment mr3master-spark-1234-0") {
		t.Errorf("timestamp = %q from %q", o.Timestamp, o.TimestampSource)
	}
	if len(o.WorkerPods) != 3 || len(o.AMDeployments) != 1 || len(o.ConfigMaps) != 2 || len(o.Services) != 2 {
		t.Errorf("found %s", names(o))
	}
	// Another release's name finds nothing.
	o, err = mr3runtime.Find(context.Background(), fake.NewClientset(objs...), ns, "other")
	if err != nil {
		t.Fatal(err)
	}
	if !o.Empty() {
		t.Errorf("release other found %s", names(o))
	}
}

func TestFindHintsFromManifest(t *testing.T) {
	manifest := `---
# Source: spark-mr3/templates/secret-token.yaml
apiVersion: v1
kind: Secret
metadata:
  name: big-token
  labels:
    app.kubernetes.io/component: token
data:
  CLIENT_TO_AM_TOKEN_KEY: c2VjcmV0
  MR3_APPLICATION_ID_TIMESTAMP: NDI0Mg==
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: big-conf
  labels:
    app.kubernetes.io/component: conf
data:
  mr3-site.xml: |
    <configuration><property><name>mr3.k8s.master.pod.additional.labels</name><value>sparkmr3_app=big</value></property></configuration>
`
	q := mr3runtime.HintsFromManifest(ns, "a", manifest)
	if q.Timestamp != "4242" || q.Fullname != "big" || q.MasterLabels["sparkmr3_app"] != "big" {
		t.Errorf("hints = %+v", q)
	}
}

// After a token change (--rotate-token, pinned values, helm rollback) the release's Secret
// holds a new timestamp, but the DAGAppMaster of the old one, its workers and MR3's shared
// objects are still the release's: they use its ServiceAccounts and conf ConfigMap. The old
// AM does not make the namespace look like it has a second MR3 application.
func TestFindAfterTokenChange(t *testing.T) {
	objs := oneRelease(true)
	objs[0] = tf.TokenSecret(ns, "a", "a", "2000") // the rotated token
	amNew := tf.AMDeployment(ns, "a", "2000", defaultMaster)
	amNewPod := tf.AMPod(amNew)
	objs = append(objs, amNew, amNewPod, tf.WorkerPod(ns, "9f9f", 1, "a", nil),
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: contract.AMServiceName("2000"), Namespace: ns}})
	o, err := mr3runtime.Find(context.Background(), fake.NewClientset(objs...), ns, "a")
	if err != nil {
		t.Fatal(err)
	}
	want := "deployment/mr3master-spark-1234-0 deployment/mr3master-spark-2000-0 " +
		"pod/mr3master-spark-1234-0-5d8f7c9b4-x2x7q pod/mr3master-spark-2000-0-5d8f7c9b4-x2x7q " +
		"pod/mr3executor-9f9f-1 pod/mr3executor-ab12-1 pod/mr3executor-ab12-2 pod/mr3executor-ab12-3 " +
		"configmap/mr3conf-configmap-master configmap/mr3conf-configmap-worker " +
		"service/service-master-1234-0 service/service-master-2000-0 service/service-worker"
	if got := names(o); got != want {
		t.Errorf("found\n %s\nwant\n %s", got, want)
	}
	if o.Timestamp != "2000" || !reflect.DeepEqual(o.Timestamps, []string{"1234", "2000"}) || len(o.Others) != 0 || len(o.Unattributed) != 0 {
		t.Errorf("timestamp %s, all %v, others %v, unattributed %v", o.Timestamp, o.Timestamps, o.Others, o.Unattributed)
	}
	if !reflect.DeepEqual(o.Stale(), []string{"mr3master-spark-1234-0"}) || !strings.Contains(strings.Join(o.Notes, "\n"), "earlier token") {
		t.Errorf("stale %v, notes %q", o.Stale(), o.Notes)
	}
}

// An old AM whose Pod template ties it to nothing is still the release's when Helm's history
// shows the release held its timestamp, unless another release holds that timestamp now.
func TestFindPastTimestamps(t *testing.T) {
	bare := tf.AMDeployment(ns, "a", "1234", defaultMaster)
	bare.Spec.Template.Spec = corev1.PodSpec{Containers: bare.Spec.Template.Spec.Containers}
	base := []runtime.Object{tf.TokenSecret(ns, "a", "a", "2000"), bare}
	q := mr3runtime.Query{Namespace: ns, Release: "a", PastTimestamps: []string{"1234"}}

	o, err := mr3runtime.FindQuery(context.Background(), fake.NewClientset(base...), q)
	if err != nil {
		t.Fatal(err)
	}
	if names(o) != "deployment/mr3master-spark-1234-0" {
		t.Errorf("with history: found %s", names(o))
	}
	o, err = mr3runtime.Find(context.Background(), fake.NewClientset(base...), ns, "a")
	if err != nil {
		t.Fatal(err)
	}
	if !o.Empty() || len(o.Others) != 1 || o.Others[0].Holder != "Deployment mr3master-spark-1234-0" {
		t.Errorf("without history: found %s, others %v", names(o), o.Others)
	}
	held := append(base, tf.TokenSecret(ns, "b", "b", "1234"))
	o, err = mr3runtime.FindQuery(context.Background(), fake.NewClientset(held...), q)
	if err != nil {
		t.Fatal(err)
	}
	if !o.Empty() || len(o.Others) != 1 || o.Others[0].Holder != `release "b" (Secret b-token)` {
		t.Errorf("timestamp now held by b: found %s, others %v", names(o), o.Others)
	}
}

// The release's own objects come from its manifests too: an AM that runs as a ServiceAccount
// the release created under a custom name is the release's.
func TestFindRefsFromManifest(t *testing.T) {
	am := tf.AMDeployment(ns, "a", "1234", defaultMaster)
	am.Spec.Template.Spec = corev1.PodSpec{ServiceAccountName: "team-am", Containers: am.Spec.Template.Spec.Containers}
	objs := []runtime.Object{tf.TokenSecret(ns, "a", "a", "2000"), am}
	manifest := "---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: team-am\n"
	q := mr3runtime.HintsFromManifest(ns, "a", manifest)
	if !q.Refs.Has(mr3runtime.KindServiceAccount, "team-am") {
		t.Fatalf("refs %v", q.Refs.Sorted())
	}
	o, err := mr3runtime.FindQuery(context.Background(), fake.NewClientset(objs...), q)
	if err != nil {
		t.Fatal(err)
	}
	if names(o) != "deployment/mr3master-spark-1234-0" {
		t.Errorf("found %s", names(o))
	}
}

func TestHintsFromHistory(t *testing.T) {
	rev := func(v int, ts, b64 string) *release.Release {
		return &release.Release{Version: v, Manifest: "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: a-token\n  labels:\n    app.kubernetes.io/component: token\ndata:\n  MR3_APPLICATION_ID_TIMESTAMP: " + b64 + "\n"}
	}
	q := mr3runtime.HintsFromHistory(ns, "a", []*release.Release{rev(1, "1111", "MTExMQ=="), rev(3, "3333", "MzMzMw=="), rev(2, "1111", "MTExMQ==")})
	if q.Timestamp != "3333" || !reflect.DeepEqual(q.PastTimestamps, []string{"1111"}) || q.Fullname != "a" || !q.Refs.Has(mr3runtime.KindSecret, "a-token") {
		t.Errorf("hints %+v", q)
	}
}

func TestPodSpecRefs(t *testing.T) {
	spec := &corev1.PodSpec{
		ServiceAccountName: "sa",
		Volumes: []corev1.Volume{
			{Name: "c", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cm"}}}},
			{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "sec"}}},
			{Name: "p", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "claim"}}},
			{Name: "j", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
				{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "psec"}}}}}}},
		},
		Containers: []corev1.Container{{Name: "x",
			EnvFrom: []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "envcm"}}}},
			Env: []corev1.EnvVar{{Name: "T", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: "tok"}, Key: "k"}}}}}},
		ImagePullSecrets: []corev1.LocalObjectReference{{Name: "pull"}},
	}
	got := strings.Join(mr3runtime.PodSpecRefs(spec), " ")
	want := "ServiceAccount/sa ConfigMap/cm Secret/sec PersistentVolumeClaim/claim Secret/psec ConfigMap/envcm Secret/tok"
	if got != want {
		t.Errorf("refs\n %s\nwant\n %s", got, want)
	}
}

func TestMasterLabels(t *testing.T) {
	site := func(v string) []byte {
		return []byte("<configuration><property><name>mr3.k8s.master.pod.additional.labels</name><value>" + v + "</value></property></configuration>")
	}
	for _, c := range []struct {
		in      []byte
		want    map[string]string
		wantErr string
	}{
		{site("sparkmr3_app=mr3"), map[string]string{"sparkmr3_app": "mr3"}, ""},
		{site(" a=1 , b=2"), map[string]string{"a": "1", "b": "2"}, ""},
		{site(""), nil, ""},
		{[]byte("<configuration/>"), nil, ""},
		// mr3conf's strict parsers, as check reads the file: never guessed.
		{site("novalue"), nil, "mr3.k8s.master.pod.additional.labels=\"novalue\""},
		{site("a=1,a=2"), nil, "mr3.k8s.master.pod.additional.labels"},
		{[]byte("<not xml"), nil, "mr3-site.xml"},
	} {
		got, err := mr3runtime.MasterLabels(c.in)
		if !reflect.DeepEqual(got, c.want) || (err == nil) != (c.wantErr == "") || err != nil && !strings.Contains(err.Error(), c.wantErr) {
			t.Errorf("MasterLabels(%s) = %v, %v; want %v, error with %q", c.in, got, err, c.want, c.wantErr)
		}
	}
}

// A release whose mr3-site.xml is broken (check refuses it) still gets status and teardown:
// Find reports the problem and finds MR3's objects by what else ties them to the release.
func TestFindBrokenSiteIsAProblemNotAnError(t *testing.T) {
	for name, data := range map[string]string{
		"not xml":    "<configuration><property>",
		"bad labels": "<configuration><property><name>mr3.k8s.master.pod.additional.labels</name><value>novalue</value></property></configuration>",
	} {
		t.Run(name, func(t *testing.T) {
			objs := oneRelease(true)
			conf := tf.ConfConfigMap(ns, "a", "a", "")
			conf.Data[contract.FileMR3Site] = data
			objs[1] = conf
			o, err := mr3runtime.Find(context.Background(), fake.NewClientset(objs...), ns, "a")
			if err != nil {
				t.Fatal(err)
			}
			if len(o.Problems) != 1 || !strings.Contains(o.Problems[0], "ConfigMap a-conf: mr3-site.xml") || !strings.Contains(o.Problems[0], "helm sparkmr3 check") {
				t.Errorf("problems = %q", o.Problems)
			}
			if len(o.AMDeployments) != 1 || len(o.WorkerPods) != 3 || !reflect.DeepEqual(o.MasterLabels, contract.DefaultMasterLabels("a")) || o.MasterLabelsSource != "" {
				t.Errorf("found %s, master labels %v", names(o), o.MasterLabels)
			}
		})
	}
	q := mr3runtime.HintsFromManifest(ns, "a", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a-conf\n  labels:\n    app.kubernetes.io/component: conf\ndata:\n  mr3-site.xml: '<configuration>'\n")
	if len(q.Problems) != 1 || !strings.Contains(q.Problems[0], "ConfigMap a-conf in the release record: mr3-site.xml") {
		t.Errorf("hints problems = %q", q.Problems)
	}
}
