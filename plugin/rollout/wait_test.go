package rollout

import (
	"bytes"
	"context"
	"errors"
	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

const (
	ns      = "spark"
	release = "rel"
)

func labels(component string) map[string]string {
	return map[string]string{contract.LabelInstance: release, contract.LabelComponent: component}
}

func driverSet(name string) *appsv1.StatefulSet {
	return &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels(contract.ComponentDriver)}}
}

func driverPod(driver string, ready bool) *corev1.Pod {
	p := &corev1.Pod{
		// The fake clientset keeps resourceVersions to itself; a RetryWatcher needs them on objects.
		ObjectMeta: metav1.ObjectMeta{Name: contract.DriverPodName(driver), Namespace: ns, Labels: labels(contract.ComponentDriver), ResourceVersion: "1"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: contract.DriverContainer, Image: "x"}}},
		Status:     corev1.PodStatus{Phase: corev1.PodPending},
	}
	if ready {
		markReady(p)
	}
	return p
}

func markReady(p *corev1.Pod) {
	p.Status = corev1.PodStatus{
		Phase: corev1.PodRunning,
		Conditions: []corev1.PodCondition{
			{Type: corev1.PodScheduled, Status: corev1.ConditionTrue},
			{Type: corev1.PodReady, Status: corev1.ConditionTrue},
		},
		ContainerStatuses: []corev1.ContainerStatus{{Name: contract.DriverContainer, Ready: true,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}},
	}
}

func releaseObjects() []runtime.Object {
	return []runtime.Object{
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: release + "-token", Namespace: ns, Labels: labels(contract.ComponentToken)},
			Data: map[string][]byte{contract.KeyToken: []byte("secret-token-value"), contract.KeyTimestamp: []byte("4242")}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: release + "-conf", Namespace: ns, Labels: labels(contract.ComponentConf)}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "mr3", Namespace: ns, Labels: labels(contract.ComponentAMService)}},
	}
}

func countVerbs(actions []k8stesting.Action) map[string]int {
	m := map[string]int{}
	for _, a := range actions {
		m[a.GetVerb()]++
	}
	return m
}

func TestWaitReadyAtFirstLookListsOnce(t *testing.T) {
	objs := append(releaseObjects(), driverSet("spark1"), driverPod("spark1", true))
	client := fake.NewClientset(objs...)
	r, err := Wait(context.Background(), client, Target{Namespace: ns, Release: release}, Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if r.Waited || len(r.Drivers) != 1 || !r.Drivers[0].Ready() || r.TokenSecret == nil || r.Conf == nil || r.AMService == nil {
		t.Fatalf("unexpected ready: %+v", r)
	}
	if got := countVerbs(client.Actions()); got["list"] != 5 || len(client.Actions()) != 5 {
		t.Fatalf("want exactly 5 list requests, got %v", got)
	}
}

func TestWaitPodBecomesReadyLater(t *testing.T) {
	objs := append(releaseObjects(), driverSet("spark1"), driverPod("spark1", false))
	client := fake.NewClientset(objs...)
	var buf bytes.Buffer
	pr := NewPrinter(&buf, false)
	done := make(chan struct{})
	var r *Ready
	var err error
	go func() {
		defer close(done)
		r, err = Wait(context.Background(), client, Target{Namespace: ns, Release: release, Driver: "spark1"},
			Options{Timeout: 10 * time.Second, Progress: pr.Event})
	}()
	waitForWatch(t, client, "pods")
	p := driverPod("spark1", true)
	p.ResourceVersion = "2"
	if _, uerr := client.CoreV1().Pods(ns).UpdateStatus(context.Background(), p, metav1.UpdateOptions{}); uerr != nil {
		t.Fatal(uerr)
	}
	<-done
	if err != nil {
		t.Fatal(err)
	}
	if !r.Waited || !r.Drivers[0].Ready() {
		t.Fatalf("want a waited, ready driver: %+v", r)
	}
	out := buf.String()
	if !strings.Contains(out, "waiting: pod/spark1-0: Pending") || !strings.Contains(out, "pod/spark1-0: Ready") || !strings.Contains(out, "ready after") {
		t.Fatalf("progress output:\n%s", out)
	}
}

// waitForWatch blocks until the fake client has opened a watch on resource.
func waitForWatch(t *testing.T, client *fake.Clientset, resource string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for _, a := range client.Actions() {
			if a.GetVerb() == "watch" && a.GetResource().Resource == resource {
				return
			}
		}
		time.Sleep(5 * time.Millisecond) // test-only: the fake has no hook for "watch opened"
	}
	t.Fatalf("no watch on %s opened", resource)
}

func TestWaitTimeoutNamesBlockingPodAndEvents(t *testing.T) {
	pod := driverPod("spark1", false)
	pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse,
		Reason: "Unschedulable", Message: "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector."}}
	event := &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "e1", Namespace: ns},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: pod.Name, Namespace: ns},
		Type:           "Warning", Reason: "FailedScheduling", Message: "0/1 nodes are available", Count: 3}
	objs := append(releaseObjects(), driverSet("spark1"), pod, event)
	client := fake.NewClientset(objs...)
	_, err := Wait(context.Background(), client, Target{Namespace: ns, Release: release}, Options{Timeout: 200 * time.Millisecond})
	var nr *NotReadyError
	if !errors.As(err, &nr) {
		t.Fatalf("want NotReadyError, got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"pod/spark1-0 is not ready: Unschedulable", "didn't match Pod's node affinity", "Warning FailedScheduling: 0/1 nodes are available (x3)"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
}

func TestWaitTimeoutNamesMissingSecret(t *testing.T) {
	objs := []runtime.Object{driverSet("spark1"), driverPod("spark1", true), releaseObjects()[1], releaseObjects()[2]}
	client := fake.NewClientset(objs...)
	_, err := Wait(context.Background(), client, Target{Namespace: ns, Release: release}, Options{Timeout: 100 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "secret/rel-mr3-token is not ready: NotFound") {
		t.Fatalf("want the missing token Secret named, got %v", err)
	}
}

func TestWaitUnknownDriverListsDrivers(t *testing.T) {
	objs := append(releaseObjects(), driverSet("spark1"), driverSet("spark2"))
	client := fake.NewClientset(objs...)
	_, err := Wait(context.Background(), client, Target{Namespace: ns, Release: release, Driver: "nope"}, Options{Timeout: time.Second})
	var ud *UnknownDriverError
	if !errors.As(err, &ud) || !strings.Contains(err.Error(), "spark1, spark2") {
		t.Fatalf("want UnknownDriverError listing drivers, got %v", err)
	}
}

func TestWaitDeletedPodIsReplaced(t *testing.T) {
	objs := append(releaseObjects(), driverSet("spark1"), driverPod("spark1", false))
	client := fake.NewClientset(objs...)
	done := make(chan error, 1)
	go func() {
		_, err := Wait(context.Background(), client, Target{Namespace: ns, Release: release}, Options{Timeout: 10 * time.Second})
		done <- err
	}()
	waitForWatch(t, client, "pods")
	ctx := context.Background()
	if err := client.CoreV1().Pods(ns).Delete(ctx, contract.DriverPodName("spark1"), metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		t.Fatalf("returned after delete: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	replacement := driverPod("spark1", true)
	replacement.ResourceVersion = "3"
	if _, err := client.CoreV1().Pods(ns).Create(ctx, replacement, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestWaitRelistsWhenWatchExpires(t *testing.T) {
	objs := append(releaseObjects(), driverSet("spark1"), driverPod("spark1", false))
	client := fake.NewClientset(objs...)
	expired := watch.NewFake()
	first := true
	client.PrependWatchReactor("pods", func(k8stesting.Action) (bool, watch.Interface, error) {
		if first {
			first = false
			return true, expired, nil
		}
		return false, nil, nil
	})
	done := make(chan error, 1)
	go func() {
		_, err := Wait(context.Background(), client, Target{Namespace: ns, Release: release}, Options{Timeout: 10 * time.Second})
		done <- err
	}()
	waitForWatch(t, client, "pods")
	// While the first watch is dead, the Pod becomes Ready: only a new LIST can see it.
	if _, err := client.CoreV1().Pods(ns).UpdateStatus(context.Background(), driverPod("spark1", true), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	gone := apierrors.NewResourceExpired("too old resource version").ErrStatus
	gone.Code = 410
	expired.Error(&gone)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	lists := 0
	for _, a := range client.Actions() {
		if a.GetVerb() == "list" && a.GetResource() == (schema.GroupVersionResource{Version: "v1", Resource: "pods"}) {
			lists++
		}
	}
	if lists != 2 {
		t.Fatalf("want pods listed twice (first look, relist), got %d", lists)
	}
}

func TestWaitSkipDriversNeedsNoDriver(t *testing.T) {
	client := fake.NewClientset(releaseObjects()...)
	r, err := Wait(context.Background(), client, Target{Namespace: ns, Release: release, SkipDrivers: true}, Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if string(r.TokenSecret.Data[contract.KeyToken]) != "secret-token-value" || len(client.Actions()) != 3 {
		t.Fatalf("unexpected: %+v, %d requests", r, len(client.Actions()))
	}
}

func TestWaitContextCancelled(t *testing.T) {
	client := fake.NewClientset()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { waitForWatch(t, client, "secrets"); cancel() }()
	_, err := Wait(ctx, client, Target{Namespace: ns, Release: release}, Options{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
}
