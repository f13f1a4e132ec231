// Package rollout owns "is this release ready to take a job": it watches a release's driver
// StatefulSets and Pods, token Secret, conf ConfigMap and AM Service (names and labels from
// docs/DESIGN.md), reports each resource's state as it changes, and on timeout names the
// resource that blocks and why. Readiness of a driver is stricter than kstatus' Current: the Pod
// must be Running and Ready with its container running, on the StatefulSet's current revision.
// Beside a job, WatchDAGAppMaster reports at once when the API server refuses the Pod of the
// DAGAppMaster Deployment MR3 creates (e.g. PodSecurity), instead of leaving MR3's client to
// wait out its pod creation timeout.
package rollout

import (
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
)

// Target says which release to wait for and what it must have.
type Target struct {
	Namespace string
	Release   string
	// Driver names the driver to wait for: its entry name D (label sparkmr3.io/driver, what
	// --driver takes), not its StatefulSet F-D. Empty: wait until any one driver of the
	// release is Ready.
	Driver string
	// SkipDrivers waits only for the token Secret, conf ConfigMap and AM Service: what a driver
	// outside Kubernetes needs.
	SkipDrivers bool
}

func (t Target) selector(component string) string {
	return contract.LabelInstance + "=" + t.Release + "," + contract.LabelComponent + "=" + component
}

// Kinds of the resources Wait reports on, as shown to users.
const (
	KindStatefulSet = "statefulset"
	KindPod         = "pod"
	KindSecret      = "secret"
	KindConfigMap   = "configmap"
	KindService     = "service"
)

// ResourceState is one resource's readiness as last seen.
type ResourceState struct {
	Kind string
	Name string
	// Ready is true when the resource is as submit needs it.
	Ready bool
	// Reason is a short CamelCase cause (Ready, NotFound, Unschedulable, ImagePullBackOff, …).
	Reason string
	// Message explains Reason in words, may be empty.
	Message string
}

// Key is "kind/name", how users see the resource.
func (s ResourceState) Key() string { return s.Kind + "/" + s.Name }

// String is "kind/name: Reason (message)".
func (s ResourceState) String() string {
	out := s.Key() + ": " + s.Reason
	if s.Message != "" {
		out += " (" + s.Message + ")"
	}
	return out
}

// DriverPod is one driver of the release: its names and its Pod as last seen.
type DriverPod struct {
	// Name is the driver entry's name D, the user's handle (label sparkmr3.io/driver;
	// --driver). A StatefulSet without that label (not the chart's) goes by its own name.
	Name string
	// StatefulSet is the driver's StatefulSet, F-D with the chart (D before names were
	// release-scoped); its Pod is PodName(StatefulSet).
	StatefulSet string
	Pod         *corev1.Pod // nil until the Pod exists
	State       ResourceState
}

// Ready reports whether the driver can take a job now.
func (d DriverPod) Ready() bool { return d.State.Ready }

// DriverName is the driver entry's name of a driver StatefulSet: its sparkmr3.io/driver label,
// else (not the chart's) its own name.
func DriverName(set *appsv1.StatefulSet) string {
	if d := set.Labels[contract.LabelDriver]; d != "" {
		return d
	}
	return set.Name
}

// Ready is what a ready release looks like: the objects as seen when the last condition held.
type Ready struct {
	// Drivers lists every driver of the release, sorted by name (empty with SkipDrivers).
	Drivers     []DriverPod
	TokenSecret *corev1.Secret
	Conf        *corev1.ConfigMap
	AMService   *corev1.Service
	// At is when the watch saw the release become ready.
	At time.Time
	// Waited is false when everything was ready at the first look (no watch was opened).
	Waited bool
}

// driverSets maps each driver entry's name to its StatefulSet. Two of one name happen while
// an upgrade from a chart before release-scoped names replaces StatefulSet D by F-D: the one
// not being deleted wins, then the newer.
func driverSets(sets map[string]*appsv1.StatefulSet) map[string]*appsv1.StatefulSet {
	out := make(map[string]*appsv1.StatefulSet, len(sets))
	for _, s := range sets {
		d := DriverName(s)
		if prev, ok := out[d]; ok && !newerDriver(s, prev) {
			continue
		}
		out[d] = s
	}
	return out
}

func newerDriver(a, b *appsv1.StatefulSet) bool {
	if (a.DeletionTimestamp == nil) != (b.DeletionTimestamp == nil) {
		return a.DeletionTimestamp == nil
	}
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return b.CreationTimestamp.Before(&a.CreationTimestamp)
	}
	return a.Name > b.Name
}

func sortedDrivers(sets map[string]*appsv1.StatefulSet) []string {
	names := make([]string, 0, len(sets))
	for n := range sets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
