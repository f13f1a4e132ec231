package status

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/cli/output"
	kubefake "helm.sh/helm/v3/pkg/kube/fake"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage"
	"helm.sh/helm/v3/pkg/storage/driver"
	helmtime "helm.sh/helm/v3/pkg/time"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/spark-mr3/spark-mr3/internal/golden"
	tf "github.com/spark-mr3/spark-mr3/plugin/mr3runtime/mr3runtimetest"
)

const ns = "spark"

var (
	now     = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	created = metav1.NewTime(now.Add(-90 * time.Minute))
)

func running(p *corev1.Pod, node string, restarts int32) *corev1.Pod {
	p.CreationTimestamp = created
	p.Spec.NodeName = node
	p.Status.Phase = corev1.PodRunning
	for _, c := range p.Spec.Containers {
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{Name: c.Name, Ready: true, RestartCount: restarts})
	}
	return p
}

func options(t *testing.T, installed bool, objs ...runtime.Object) *Options {
	t.Helper()
	mem := driver.NewMemory()
	mem.SetNamespace(ns)
	cfg := &action.Configuration{Releases: storage.Init(mem), KubeClient: &kubefake.PrintingKubeClient{Out: io.Discard}, Log: func(string, ...any) {}}
	if installed {
		rel := &release.Release{Name: "a", Namespace: ns, Version: 3,
			Info:  &release.Info{Status: release.StatusDeployed, LastDeployed: helmtime.Time{Time: now.Add(-time.Hour)}},
			Chart: &chart.Chart{Metadata: &chart.Metadata{Name: "spark-mr3", Version: "0.1.0", AppVersion: "1.11"}}}
		if err := cfg.Releases.Create(rel); err != nil {
			t.Fatal(err)
		}
	}
	return &Options{Namespace: ns, Release: "a", Client: fake.NewClientset(objs...), Helm: cfg, Clock: clocktesting.NewFakePassiveClock(now)}
}

func world() []runtime.Object {
	am := tf.AMDeployment(ns, "a", "1234", map[string]string{"sparkmr3_app": "mr3"})
	objs := []runtime.Object{
		tf.TokenSecret(ns, "a", "a", "1234"), tf.ConfConfigMap(ns, "a", "a", "sparkmr3_app=mr3"), am,
		running(tf.AMPod(am), "node-1", 0),
		running(tf.DriverPod(ns, "a", "spark1"), "node-1", 0),
		running(tf.DriverPod(ns, "a", "spark2"), "node-2", 2),
	}
	for i := 1; i <= 2; i++ {
		objs = append(objs, running(tf.WorkerPod(ns, "ab12", i, "a", nil), "node-2", 0))
	}
	pending := tf.WorkerPod(ns, "ab12", 3, "a", nil)
	pending.CreationTimestamp = metav1.NewTime(now.Add(-30 * time.Second))
	objs = append(objs, pending)
	return append(objs, tf.MR3ConfigMapsAndServices(ns, "1234")...)
}

func assertGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Assert(t, filepath.Join("testdata", name), got)
}

func TestStatusGolden(t *testing.T) {
	o := options(t, true, world()...)
	rep, err := o.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		format output.Format
		file   string
	}{{output.Table, "status.txt"}, {output.JSON, "status.json"}, {output.YAML, "status.yaml"}} {
		var b bytes.Buffer
		if err := Write(&b, rep, f.format); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(b.String(), "test-token") {
			t.Errorf("%s output contains the token", f.format)
		}
		assertGolden(t, f.file, b.Bytes())
	}
}

func TestStatusReleaseGoneObjectsLeft(t *testing.T) {
	objs := world()[2:] // no token Secret, no conf: helm uninstall was run by hand
	rep, err := options(t, false, objs...).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Write(&b, rep, output.Table); err != nil {
		t.Fatal(err)
	}
	assertGolden(t, "status-not-installed.txt", b.Bytes())
}

func TestStatusUnknownRelease(t *testing.T) {
	_, err := options(t, false).Run(context.Background())
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `release "a" not found in namespace "spark"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestWriteUnknownFormat(t *testing.T) {
	if err := Write(io.Discard, &Report{}, "xml"); !errors.Is(err, output.ErrInvalidFormatType) {
		t.Errorf("err = %v", err)
	}
}

// After --rotate-token the old DAGAppMaster and its workers are still shown, marked as of an
// earlier token, with the new application as the release's.
func TestStatusAfterTokenChange(t *testing.T) {
	objs := world()
	objs[0] = tf.TokenSecret(ns, "a", "a", "2000")
	rep, err := options(t, true, objs...).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Application != "application_2000_0000" || len(rep.AMPods) != 1 || len(rep.Workers) != 3 || len(rep.MR3Objects) != 4 {
		t.Errorf("application %s, %d AM pods, %d workers, MR3 objects %v", rep.Application, len(rep.AMPods), len(rep.Workers), rep.MR3Objects)
	}
	var b bytes.Buffer
	if err := Write(&b, rep, output.Table); err != nil {
		t.Fatal(err)
	}
	assertGolden(t, "status-token-changed.txt", b.Bytes())
}

// A release whose mr3-site.xml is broken (check refuses it) still gets its status, with the
// problem named.
func TestStatusBrokenSite(t *testing.T) {
	objs := world()
	objs[1].(*corev1.ConfigMap).Data["mr3-site.xml"] = "<configuration><property>"
	rep, err := options(t, true, objs...).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Write(&b, rep, output.Table); err != nil {
		t.Fatal(err)
	}
	if len(rep.Workers) != 3 || !strings.Contains(b.String(), "PROBLEMS\nConfigMap a-conf: mr3-site.xml line 1") {
		t.Errorf("workers %d, output:\n%s", len(rep.Workers), b.String())
	}
}

// P7 (issue 15): status takes the same requests for 1 or 1,000 ContainerWorker Pods (one LIST
// per kind, no GET per Pod).
func TestStatusRequestsConstantInWorkers(t *testing.T) {
	counts := map[int]string{}
	for _, n := range []int{1, 1000} {
		am := tf.AMDeployment(ns, "a", "1234", map[string]string{"sparkmr3_app": "mr3"})
		objs := []runtime.Object{tf.TokenSecret(ns, "a", "a", "1234"), tf.ConfConfigMap(ns, "a", "a", "sparkmr3_app=mr3"),
			am, running(tf.AMPod(am), "node-1", 0), running(tf.DriverPod(ns, "a", "spark1"), "node-1", 0)}
		for i := 1; i <= n; i++ {
			objs = append(objs, running(tf.WorkerPod(ns, "ab12", i, "a", nil), "node-2", 0))
		}
		o := options(t, true, append(objs, tf.MR3ConfigMapsAndServices(ns, "1234")...)...)
		rep, err := o.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Workers) != n {
			t.Errorf("%d workers: report has %d", n, len(rep.Workers))
		}
		req := map[string]int{}
		for _, a := range o.Client.(*fake.Clientset).Actions() {
			req[a.GetVerb()+" "+a.GetResource().Resource]++
			if a.GetVerb() == "get" && a.GetResource().Resource == "pods" {
				t.Errorf("%d workers: GET of a pod", n)
			}
		}
		counts[n] = fmt.Sprint(req)
	}
	if counts[1] != counts[1000] {
		t.Errorf("requests grow with the workers:\n1:    %s\n1000: %s", counts[1], counts[1000])
	}
}
