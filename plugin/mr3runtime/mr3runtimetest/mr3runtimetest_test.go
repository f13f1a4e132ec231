package mr3runtimetest

import (
	"testing"
)

// The fixtures must carry MR3's exact run-time names and labels (docs/DESIGN.md), or the
// tests built on them prove nothing about real MR3 objects.
func TestFixturesUseMR3Names(t *testing.T) {
	am := AMDeployment("ns", "r", "4242", map[string]string{"sparkmr3_app": "mr3"})
	if am.Name != "mr3master-spark-4242-0" {
		t.Errorf("AM Deployment %q", am.Name)
	}
	pod := AMPod(am)
	if pod.Labels["mr3-pod-role"] != "master-role" || pod.Labels["sparkmr3_app"] != "mr3" {
		t.Errorf("AM Pod labels %v", pod.Labels)
	}
	w := WorkerPod("ns", "ab12", 3, "r", pod)
	if w.Name != "mr3executor-ab12-3" || w.Labels["mr3-pod-role"] != "container-role" || w.Labels["mr3-worker-pod-id"] != "3" {
		t.Errorf("worker %s labels %v", w.Name, w.Labels)
	}
	names := map[string]bool{}
	for _, o := range MR3ConfigMapsAndServices("ns", "4242") {
		if m, ok := o.(interface{ GetName() string }); ok {
			names[m.GetName()] = true
		}
	}
	for _, want := range []string{"mr3conf-configmap-master", "mr3conf-configmap-worker", "service-master-4242-0", "service-worker"} {
		if !names[want] {
			t.Errorf("missing %s in %v", want, names)
		}
	}
}
