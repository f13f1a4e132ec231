package rollout

import (
	"context"
	"errors"
	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	klabels "k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// The streaming first look (Options.FirstLook = FirstLookStream), held to client-go's fake
// clientset taught Kubernetes' watch-list: a watch with sendInitialEvents sends the current
// objects, then a bookmark annotated initial-events-end, then the changes.

var kindOf = map[string]string{
	"statefulsets": "StatefulSet", "pods": "Pod", "secrets": "Secret", "configmaps": "ConfigMap", "services": "Service",
}

// streamingClient is a fake clientset whose watches with sendInitialEvents stream as an API
// server does. refuse lists resources whose watch-list is refused (as by a server without it).
func streamingClient(t *testing.T, objs []runtime.Object, refuse ...string) *fake.Clientset {
	t.Helper()
	client := fake.NewClientset(objs...)
	client.PrependWatchReactor("*", func(a k8stesting.Action) (bool, watch.Interface, error) {
		wa := a.(k8stesting.WatchActionImpl)
		if !sendsInitialEvents(wa) {
			return false, nil, nil
		}
		gvr := a.GetResource()
		for _, r := range refuse {
			if r == gvr.Resource {
				return true, nil, apierrors.NewBadRequest("sendInitialEvents is not supported")
			}
		}
		w, err := watchList(client.Tracker(), gvr, a.GetNamespace(), wa.WatchRestrictions.Labels)
		return true, w, err
	})
	return client
}

func sendsInitialEvents(a k8stesting.WatchActionImpl) bool {
	return a.ListOptions.SendInitialEvents != nil && *a.ListOptions.SendInitialEvents
}

func watchList(tracker k8stesting.ObjectTracker, gvr schema.GroupVersionResource, ns string, sel klabels.Selector) (watch.Interface, error) {
	changes, err := tracker.Watch(gvr, ns)
	if err != nil {
		return nil, err
	}
	list, err := tracker.List(gvr, gvr.GroupVersion().WithKind(kindOf[gvr.Resource]), ns)
	if err != nil {
		changes.Stop()
		return nil, err
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		changes.Stop()
		return nil, err
	}
	matches := func(o runtime.Object) bool {
		m, err := meta.Accessor(o)
		return err == nil && (sel == nil || sel.Matches(klabels.Set(m.GetLabels())))
	}
	out := make(chan watch.Event)
	pw := watch.NewProxyWatcher(out)
	go func() {
		defer changes.Stop()
		send := func(e watch.Event) bool {
			select {
			case out <- e:
				return true
			case <-pw.StopChan():
				return false
			}
		}
		for _, o := range items {
			if matches(o) && !send(watch.Event{Type: watch.Added, Object: o}) {
				return
			}
		}
		end := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{ResourceVersion: "1",
			Annotations: map[string]string{metav1.InitialEventsAnnotationKey: "true"}}}
		if !send(watch.Event{Type: watch.Bookmark, Object: end}) {
			return
		}
		for {
			select {
			case e, ok := <-changes.ResultChan():
				if !ok {
					return
				}
				if matches(e.Object) && !send(e) {
					return
				}
			case <-pw.StopChan():
				return
			}
		}
	}()
	return pw, nil
}

func verbs(client *fake.Clientset, verb string) []string {
	var out []string
	for _, a := range client.Actions() {
		if a.GetVerb() == verb {
			out = append(out, a.GetResource().Resource)
		}
	}
	return out
}

func TestWaitStreamingReadyAtFirstLook(t *testing.T) {
	client := streamingClient(t, append(releaseObjects(), driverSet("spark1"), driverPod("spark1", true)))
	r, err := Wait(context.Background(), client, Target{Namespace: ns, Release: release},
		Options{Timeout: 5 * time.Second, FirstLook: FirstLookStream})
	if err != nil {
		t.Fatal(err)
	}
	if r.Waited || len(r.Drivers) != 1 || !r.Drivers[0].Ready() || r.TokenSecret == nil || r.Conf == nil || r.AMService == nil {
		t.Fatalf("unexpected ready: %+v", r)
	}
	if w, l := verbs(client, "watch"), verbs(client, "list"); len(w) != 5 || len(l) != 0 || len(client.Actions()) != 5 {
		t.Fatalf("want 5 streaming watches and no list, got watches %v, lists %v", w, l)
	}
}

func TestWaitStreamingForwardsChangesOnTheSameWatch(t *testing.T) {
	client := streamingClient(t, append(releaseObjects(), driverSet("spark1"), driverPod("spark1", false),
		// Another release's driver: the selector keeps it out of the stream.
		driverSetOf("other", "spark9")))
	var events []Event
	done := make(chan error, 1)
	var r *Ready
	go func() {
		var err error
		r, err = Wait(context.Background(), client, Target{Namespace: ns, Release: release, Driver: "spark1"},
			Options{Timeout: 10 * time.Second, FirstLook: FirstLookStream, Progress: func(e Event) { events = append(events, e) }})
		done <- err
	}()
	waitForWatch(t, client, "pods")
	p := driverPod("spark1", true)
	p.ResourceVersion = "2"
	if _, err := client.CoreV1().Pods(ns).UpdateStatus(context.Background(), p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !r.Waited || !r.Drivers[0].Ready() || len(r.Drivers) != 1 {
		t.Fatalf("want one waited, ready driver: %+v", r)
	}
	// The change came on the first look's watch: no LIST, no second watch.
	if w, l := verbs(client, "watch"), verbs(client, "list"); len(w) != 5 || len(l) != 0 {
		t.Fatalf("want the 5 first watches only, got watches %v, lists %v", w, l)
	}
	if len(events) == 0 || !events[0].Initial || !events[len(events)-1].Done {
		t.Fatalf("progress events: %+v", events)
	}
}

func TestWaitStreamingRefusedFallsBackToList(t *testing.T) {
	client := streamingClient(t, append(releaseObjects(), driverSet("spark1"), driverPod("spark1", true)), "pods", "secrets")
	if _, err := Wait(context.Background(), client, Target{Namespace: ns, Release: release},
		Options{Timeout: 5 * time.Second, FirstLook: FirstLookStream}); err != nil {
		t.Fatal(err)
	}
	l := verbs(client, "list")
	if len(l) != 2 || len(verbs(client, "watch")) != 5 {
		t.Fatalf("want the refused kinds (pods, secrets) listed, got lists %v, watches %v", l, verbs(client, "watch"))
	}
}

func TestWaitStreamingWithoutEndBookmarkFallsBackToList(t *testing.T) {
	// client-go's plain fake ignores sendInitialEvents: nothing marks the end of the initial
	// events, so every kind is listed after the timeout.
	client := fake.NewClientset(append(releaseObjects(), driverSet("spark1"), driverPod("spark1", true))...)
	start := time.Now()
	if _, err := Wait(context.Background(), client, Target{Namespace: ns, Release: release},
		Options{Timeout: 5 * time.Second, FirstLook: FirstLookStream, initialEventsTimeout: 50 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if l := verbs(client, "list"); len(l) != 5 {
		t.Fatalf("want every kind listed, got %v", l)
	}
	if time.Since(start) > 3*time.Second {
		t.Fatalf("the fallback waited %v, not the 50ms given", time.Since(start))
	}
}

func TestWaitStreamingExpiredWatchRelists(t *testing.T) {
	client := streamingClient(t, append(releaseObjects(), driverSet("spark1"), driverPod("spark1", false)))
	// The pods watch-list is one the test drives: the initial Pod, the end bookmark, then 410.
	pods := watch.NewFake()
	client.PrependWatchReactor("pods", func(a k8stesting.Action) (bool, watch.Interface, error) {
		if sendsInitialEvents(a.(k8stesting.WatchActionImpl)) {
			return true, pods, nil
		}
		return false, nil, nil
	})
	done := make(chan error, 1)
	go func() {
		_, err := Wait(context.Background(), client, Target{Namespace: ns, Release: release},
			Options{Timeout: 10 * time.Second, FirstLook: FirstLookStream})
		done <- err
	}()
	pods.Add(driverPod("spark1", false))
	pods.Action(watch.Bookmark, &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{ResourceVersion: "1",
		Annotations: map[string]string{metav1.InitialEventsAnnotationKey: "true"}}})
	// While the stream is dead, the Pod becomes Ready: only a new LIST can see it.
	if _, err := client.CoreV1().Pods(ns).UpdateStatus(context.Background(), driverPod("spark1", true), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	gone := apierrors.NewResourceExpired("too old resource version").ErrStatus
	gone.Code = 410
	pods.Error(&gone)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if l := verbs(client, "list"); len(l) != 1 || l[0] != "pods" {
		t.Fatalf("want pods listed once after the stream expired, got %v", l)
	}
}

func TestWaitStreamingWatchErrorIsReturned(t *testing.T) {
	client := streamingClient(t, append(releaseObjects(), driverSet("spark1"), driverPod("spark1", false)))
	pods := watch.NewFake()
	client.PrependWatchReactor("pods", func(a k8stesting.Action) (bool, watch.Interface, error) {
		return true, pods, nil
	})
	done := make(chan error, 1)
	go func() {
		_, err := Wait(context.Background(), client, Target{Namespace: ns, Release: release},
			Options{Timeout: 10 * time.Second, FirstLook: FirstLookStream})
		done <- err
	}()
	pods.Add(driverPod("spark1", false))
	pods.Action(watch.Bookmark, &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{ResourceVersion: "1",
		Annotations: map[string]string{metav1.InitialEventsAnnotationKey: "true"}}})
	forbidden := apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", errors.New("no")).ErrStatus
	pods.Error(&forbidden)
	err := <-done
	if !apierrors.IsForbidden(err) {
		t.Fatalf("want the watch's Forbidden error, got %v", err)
	}
}

func TestStreamsOnlyWithARESTClient(t *testing.T) {
	if streams(fake.NewClientset()) {
		t.Fatal("client-go's fake has no REST client: FirstLookAuto must list")
	}
}

func driverSetOf(rel, name string) runtime.Object {
	s := driverSet(name)
	s.Labels = map[string]string{contract.LabelInstance: rel, contract.LabelComponent: contract.ComponentDriver}
	return s
}
