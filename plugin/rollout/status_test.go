package rollout

import (
	"bytes"
	"errors"
	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestPodState(t *testing.T) {
	now := metav1.Now()
	set := driverSet("d")
	tests := []struct {
		name   string
		set    *appsv1.StatefulSet
		pod    func() *corev1.Pod
		ready  bool
		reason string
	}{
		{"ready", set, func() *corev1.Pod { return driverPod("d", true) }, true, "Ready"},
		{"not created", set, func() *corev1.Pod { return nil }, false, "NotCreated"},
		{"pending", set, func() *corev1.Pod { return driverPod("d", false) }, false, "Pending"},
		{"unschedulable", set, func() *corev1.Pod {
			p := driverPod("d", false)
			p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable"}}
			return p
		}, false, "Unschedulable"},
		{"bound and ready with a stale SchedulerError of a replaced Pod of the same name", set, func() *corev1.Pod {
			p := driverPod("d", true)
			p.Spec.NodeName = "kwok-node-0"
			p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionFalse,
				Reason: "SchedulerError", Message: `running Bind plugin "DefaultBinder": pods "d-0" not found`})
			return p
		}, true, "Ready"},
		{"image pull backoff", set, func() *corev1.Pod {
			p := driverPod("d", false)
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: contract.DriverContainer,
				State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: "pull access denied"}}}}
			return p
		}, false, "ImagePullBackOff"},
		{"crash loop while phase Running", set, func() *corev1.Pod {
			p := driverPod("d", true)
			p.Status.ContainerStatuses[0].State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}
			p.Status.ContainerStatuses[0].RestartCount = 3
			return p
		}, false, "CrashLoopBackOff"},
		{"failed pod (kstatus would call it Current)", set, func() *corev1.Pod {
			p := driverPod("d", false)
			p.Status.Phase = corev1.PodFailed
			return p
		}, false, "Failed"},
		{"terminating", set, func() *corev1.Pod {
			p := driverPod("d", true)
			p.DeletionTimestamp = &now
			return p
		}, false, "Terminating"},
		{"running, not ready", set, func() *corev1.Pod {
			p := driverPod("d", true)
			p.Status.Conditions[1] = corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionFalse, Reason: "ContainersNotReady"}
			return p
		}, false, "ContainersNotReady"},
		{"old revision", func() *appsv1.StatefulSet {
			s := driverSet("d")
			s.Status.UpdateRevision = "d-new"
			return s
		}(), func() *corev1.Pod {
			p := driverPod("d", true)
			p.Labels[appsv1.ControllerRevisionHashLabelKey] = "d-old"
			return p
		}, false, "OldRevision"},
		{"generation not observed", func() *appsv1.StatefulSet {
			s := driverSet("d")
			s.Generation, s.Status.ObservedGeneration = 2, 1
			return s
		}(), func() *corev1.Pod { return driverPod("d", true) }, false, "RolloutPending"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := podState(tc.set, tc.pod())
			if st.Ready != tc.ready || st.Reason != tc.reason {
				t.Fatalf("got %v ready=%v, want reason %s ready=%v", st, st.Ready, tc.reason, tc.ready)
			}
		})
	}
}

func TestEvaluateAnyDriverWhenUnnamed(t *testing.T) {
	s := newSnapshot()
	for _, o := range releaseObjects() {
		s.put(o)
	}
	s.put(driverSet("a"))
	s.put(driverSet("b"))
	s.put(driverPod("a", false))
	s.put(driverPod("b", true))
	ev, err := evaluate(Target{Namespace: ns, Release: release}, s)
	if err != nil || ev.ready == nil {
		t.Fatalf("unnamed target with one ready driver should be ready: %v %+v", err, ev.states)
	}
	ev, _ = evaluate(Target{Namespace: ns, Release: release, Driver: "a"}, s)
	if ev.ready != nil {
		t.Fatal("driver a is not ready")
	}
	if len(ev.states) != 4 || ev.states[0].Name != "a-0" {
		t.Fatalf("named target shows only its driver: %+v", ev.states)
	}
}

// TestEvaluateDriverEntryNames: the chart's StatefulSet F-D carries sparkmr3.io/driver=D;
// drivers go by D (what --driver takes), their Pod is F-D-0. While an upgrade from a chart
// before release-scoped names replaces StatefulSet D by F-D, the one not being deleted is the
// driver.
func TestEvaluateDriverEntryNames(t *testing.T) {
	entry := func(set, d string) *appsv1.StatefulSet {
		s := driverSet(set)
		s.Labels[contract.LabelDriver] = d
		return s
	}
	s := newSnapshot()
	for _, o := range releaseObjects() {
		s.put(o)
	}
	old := entry("spark1", "spark1")
	old.DeletionTimestamp = &metav1.Time{Time: time.Unix(1, 0)}
	s.put(old)
	s.put(driverPod("spark1", true))
	s.put(entry("r-spark1", "spark1"))
	s.put(driverPod("r-spark1", false))
	s.put(entry("r-etl", "etl"))
	s.put(driverPod("r-etl", true))
	ev, err := evaluate(Target{Namespace: ns, Release: release, Driver: "spark1"}, s)
	if err != nil {
		t.Fatal(err)
	}
	if ev.ready != nil || len(ev.states) != 4 || ev.states[0].Name != "r-spark1-0" || ev.states[0].Reason != "Pending" {
		t.Fatalf("driver spark1 is r-spark1-0 (pending), not the old spark1-0 being replaced: %+v", ev.states)
	}
	ev, err = evaluate(Target{Namespace: ns, Release: release, Driver: "etl"}, s)
	if err != nil || ev.ready == nil {
		t.Fatalf("driver etl (r-etl-0) is ready: %v %+v", err, ev.states)
	}
	got := map[string]string{}
	for _, d := range ev.ready.Drivers {
		got[d.Name] = d.StatefulSet + " " + d.Pod.Name
	}
	if len(got) != 2 || got["spark1"] != "r-spark1 r-spark1-0" || got["etl"] != "r-etl r-etl-0" {
		t.Errorf("drivers %v", got)
	}
	var unknown *UnknownDriverError
	if _, err := evaluate(Target{Namespace: ns, Release: release, Driver: "r-etl"}, s); !errors.As(err, &unknown) || strings.Join(unknown.Known, ",") != "etl,spark1" {
		t.Errorf("--driver takes the entry name, not the StatefulSet's: %v", err)
	}
}

func TestEvaluateTokenSecretMissingKey(t *testing.T) {
	s := newSnapshot()
	s.put(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "x-token", Labels: labels(contract.ComponentToken)},
		Data: map[string][]byte{contract.KeyToken: []byte("t")}})
	ev, _ := evaluate(Target{Release: release, SkipDrivers: true}, s)
	if ev.states[0].Reason != "MissingKey" || !strings.Contains(ev.states[0].Message, contract.KeyTimestamp) {
		t.Fatalf("got %+v", ev.states[0])
	}
}

func TestPrinterLineMode(t *testing.T) {
	var buf bytes.Buffer
	p := NewPrinter(&buf, false)
	t0 := time.Unix(0, 0)
	p.Event(Event{Time: t0, Initial: true, State: ResourceState{Kind: KindSecret, Name: "r-token", Ready: true, Reason: "Present"}})
	p.Event(Event{Time: t0, Initial: true, State: ResourceState{Kind: KindPod, Name: "d-0", Reason: "Pending"}})
	p.Event(Event{Time: t0.Add(1500 * time.Millisecond), State: ResourceState{Kind: KindPod, Name: "d-0", Ready: true, Reason: "Ready"}})
	p.Event(Event{Time: t0.Add(1500 * time.Millisecond), Done: true})
	want := "waiting: pod/d-0: Pending\n[1.5s] pod/d-0: Ready\nready after 1.5s\n"
	if buf.String() != want {
		t.Fatalf("got:\n%q\nwant:\n%q", buf.String(), want)
	}
}

func TestPrinterSilentWhenReadyAtOnce(t *testing.T) {
	var buf bytes.Buffer
	p := NewPrinter(&buf, true)
	p.Event(Event{Time: time.Unix(0, 0), Initial: true, State: ResourceState{Kind: KindPod, Name: "d-0", Ready: true, Reason: "Ready"}})
	p.Event(Event{Time: time.Unix(0, 0), Done: true})
	if buf.Len() != 0 {
		t.Fatalf("want no output, got %q", buf.String())
	}
}
