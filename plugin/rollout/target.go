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

// Labels, annotations and keys of docs/DESIGN.md, defined in plugin/contract; kept here under
// the names the driver and the e2e tests use.
const (
	LabelInstance  = contract.LabelInstance
	LabelComponent = contract.LabelComponent
	LabelDriver    = contract.LabelDriver

	ComponentDriver    = contract.ComponentDriver
	ComponentToken     = contract.ComponentToken
	ComponentConf      = contract.ComponentConf
	ComponentAMService = contract.ComponentAMService

	AnnotationSubmitCommand = contract.AnnotationSubmitCommand
	AnnotationShellCommand  = contract.AnnotationShellCommand

	DriverContainer      = contract.DriverContainer
	DefaultAMServiceName = contract.DefaultAMServiceName

	TokenKey     = contract.KeyToken
	TimestampKey = contract.KeyTimestamp
)

// Target says which release to wait for and what it must have.
type Target struct {
	Namespace string
	Release   string
	// Driver names the driver (its StatefulSet) to wait for. Empty: wait until any one driver
	// of the release is Ready.
	Driver string
	// SkipDrivers waits only for the token Secret, conf ConfigMap and AM Service: what a driver
	// outside Kubernetes needs.
	SkipDrivers bool
}

func (t Target) selector(component string) string {
	return LabelInstance + "=" + t.Release + "," + LabelComponent + "=" + component
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

// DriverPod is one driver of the release: its StatefulSet name and its Pod as last seen.
type DriverPod struct {
	// Name is the driver's name D (StatefulSet D, Pod D-0).
	Name  string
	Pod   *corev1.Pod // nil until the Pod exists
	State ResourceState
}

// Ready reports whether the driver can take a job now.
func (d DriverPod) Ready() bool { return d.State.Ready }

// PodName is D-0, the StatefulSet's only Pod.
func PodName(driver string) string { return driver + "-0" }

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

func sortedDrivers(sets map[string]*appsv1.StatefulSet) []string {
	names := make([]string, 0, len(sets))
	for n := range sets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
