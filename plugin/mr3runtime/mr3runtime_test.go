package mr3runtime_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"

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
		if p.Labels[mr3runtime.LabelComponent] == mr3runtime.ComponentDriver {
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
	// The AM pod carries sparkmr3_app=mr3, not the release's labels: not ours.
	if len(o.AMPods) != 0 {
		t.Errorf("AM pods = %v", names(o))
	}
}

func TestFindMasterLabelsFromService(t *testing.T) {
	objs := oneRelease(true)[:1] // token only: no conf ConfigMap
	objs = append(objs, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "mr3", Namespace: ns, Labels: tf.ReleaseLabels("a", mr3runtime.ComponentAMService)},
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
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: mr3runtime.AMServiceName("777"), Namespace: ns}},
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

func TestParseLabels(t *testing.T) {
	for in, want := range map[string]map[string]string{
		"sparkmr3_app=mr3": {"sparkmr3_app": "mr3"},
		" a=1 , b=2,":      {"a": "1", "b": "2"},
		"":                 {},
		"novalue,=x,k=v=w": {"k": "v=w"},
	} {
		if got := mr3runtime.ParseLabels(in); !reflect.DeepEqual(got, want) {
			t.Errorf("ParseLabels(%q) = %v, want %v", in, got, want)
		}
	}
}
