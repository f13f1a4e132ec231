// Package podsecurity owns one question: does the PodSecurity level a namespace enforces let
// MR3's own Pods in? MR3 creates the DAGAppMaster (a Deployment) and the ContainerWorkers (bare
// Pods) itself, with no security context, so in a namespace labelled
// pod-security.kubernetes.io/enforce=restricted the API server refuses them and the first job
// waits until MR3's pod creation timeout. The chart's own driver Pods and test Pod meet
// `restricted`; MR3's do not, and with hostPath dirs or sysctls they do not meet `baseline`
// either. Check reads the namespace's labels; Evaluate decides from labels alone.
package podsecurity

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"github.com/spark-mr3/spark-mr3/plugin/mr3conf"
)

// Namespace labels of PodSecurity admission.
const (
	LabelEnforce        = "pod-security.kubernetes.io/enforce"
	LabelEnforceVersion = "pod-security.kubernetes.io/enforce-version"
)

// Level is a PodSecurity Standard.
type Level string

// The levels, from the most permissive.
const (
	Privileged Level = "privileged"
	Baseline   Level = "baseline"
	Restricted Level = "restricted"
)

func (l Level) rank() int {
	switch l {
	case Privileged:
		return 0
	case Baseline:
		return 1
	}
	return 2
}

// MR3 configuration keys that decide the level MR3's Pods need.
const (
	KeyWorkerAdditionalHostPaths = "mr3.k8s.pod.worker.additional.hostpaths"
	KeyMasterHostPaths           = "mr3.k8s.pod.master.hostpaths"
	KeyWorkerSysctls             = "mr3.k8s.pod.worker.security.context.sysctls"
)

// Settings are the release's effective MR3 settings (mr3-site.xml with the driver script's -D
// options laid over it, as plugin/mr3conf computes them) that decide which level MR3's Pods
// need; each field is the key's value as MR3 reads it.
type Settings struct {
	// WorkerHostPaths is mr3.k8s.pod.worker.hostpaths: hostPath volumes of every ContainerWorker
	// (the chart sets it from localDirs.paths when localDirs.type=hostPath).
	WorkerHostPaths string
	// WorkerAdditionalHostPaths is mr3.k8s.pod.worker.additional.hostpaths.
	WorkerAdditionalHostPaths string
	// MasterHostPaths is mr3.k8s.pod.master.hostpaths: hostPath volumes of the DAGAppMaster.
	MasterHostPaths string
	// WorkerSysctls is mr3.k8s.pod.worker.security.context.sysctls: when non-empty MR3 adds a
	// privileged init container to every ContainerWorker to set them.
	WorkerSysctls string
}

// SettingsFrom reads Settings through get, which returns a key's effective value ("" when unset).
func SettingsFrom(get func(key string) string) Settings {
	return Settings{
		WorkerHostPaths:           get(contract.SiteWorkerHostPaths),
		WorkerAdditionalHostPaths: get(KeyWorkerAdditionalHostPaths),
		MasterHostPaths:           get(KeyMasterHostPaths),
		WorkerSysctls:             get(KeyWorkerSysctls),
	}
}

// SettingsFromSite reads Settings from an mr3-site.xml, best the effective one (plugin/check's
// Release.Conf.Site: the file with the driver script's -D options laid over it). nil gives the
// zero Settings.
func SettingsFromSite(site *mr3conf.Site) Settings {
	if site == nil {
		return Settings{}
	}
	return SettingsFrom(func(k string) string { v, _ := site.Get(k); return v })
}

// need is one reason MR3's Pods need a level more permissive than restricted.
type need struct {
	level Level
	why   string
	am    bool // the DAGAppMaster's Pod fails a stricter level (else only ContainerWorkers)
}

// needs lists why MR3's Pods need more than restricted: always baseline (no security context),
// privileged for each hostPath key and for sysctls.
func (s Settings) needs() []need {
	out := []need{{Baseline, "MR3 creates its DAGAppMaster and ContainerWorker Pods without a security context " +
		"(no runAsNonRoot, seccompProfile RuntimeDefault, allowPrivilegeEscalation=false or capabilities drop ALL), which restricted requires", true}}
	for _, h := range []struct {
		key, val, pods string
		am             bool
	}{
		{contract.SiteWorkerHostPaths, s.WorkerHostPaths, "every ContainerWorker", false},
		{KeyWorkerAdditionalHostPaths, s.WorkerAdditionalHostPaths, "every ContainerWorker", false},
		{KeyMasterHostPaths, s.MasterHostPaths, "the DAGAppMaster", true},
	} {
		if v := strings.TrimSpace(h.val); v != "" {
			out = append(out, need{Privileged, fmt.Sprintf("%s=%s mounts hostPath volumes into %s, which baseline and restricted refuse", h.key, v, h.pods), h.am})
		}
	}
	if v := strings.TrimSpace(s.WorkerSysctls); v != "" {
		out = append(out, need{Privileged, fmt.Sprintf("%s=%s makes MR3 add a privileged init container to every ContainerWorker, which baseline and restricted refuse", KeyWorkerSysctls, v), false})
	}
	return out
}

// Needed is the most restrictive level MR3's Pods meet with these settings.
func (s Settings) Needed() Level {
	lvl := Restricted
	for _, n := range s.needs() {
		if n.level.rank() < lvl.rank() {
			lvl = n.level
		}
	}
	return lvl
}

// Verdict is what a namespace's enforce label means for MR3's Pods.
type Verdict struct {
	Namespace string
	// Label is the enforce label's value as set ("" when the namespace has none).
	Label string
	// Version is the enforce-version label's value ("" when unset: latest).
	Version string
	// Enforced is the level the API server applies from the label (an invalid value counts as
	// restricted, as PodSecurity admission does); "" when there is no label.
	Enforced Level
	// Needed is the most restrictive level MR3's Pods meet.
	Needed Level
	// Refused is true when Enforced is stricter than Needed: the API server refuses MR3's Pods.
	Refused bool
	// Why lists the reasons MR3's Pods fail Enforced (empty unless Refused).
	Why []string
	// AMRefused is true when the DAGAppMaster's own Pod fails Enforced (else only the
	// ContainerWorkers the DAGAppMaster creates).
	AMRefused bool
}

// Evaluate decides from a namespace's labels.
func Evaluate(namespace string, labels map[string]string, s Settings) Verdict {
	v := Verdict{Namespace: namespace, Label: labels[LabelEnforce], Version: labels[LabelEnforceVersion], Needed: s.Needed()}
	if v.Label == "" {
		return v
	}
	switch l := Level(v.Label); l {
	case Privileged, Baseline, Restricted:
		v.Enforced = l
	default:
		v.Enforced = Restricted // PodSecurity admission applies restricted for a value it cannot parse
	}
	if v.Enforced.rank() <= v.Needed.rank() {
		return v
	}
	v.Refused = true
	for _, n := range s.needs() {
		if n.level.rank() < v.Enforced.rank() {
			v.Why = append(v.Why, n.why)
			v.AMRefused = v.AMRefused || n.am
		}
	}
	return v
}

// Message explains a refusal: the label, its level, why MR3's Pods fail it, what happens, and
// the fix. Empty when nothing is refused.
func (v Verdict) Message() string {
	if !v.Refused {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "namespace %q enforces PodSecurity %q (label %s=%s", v.Namespace, v.Enforced, LabelEnforce, v.Label)
	if v.Version != "" {
		fmt.Fprintf(&b, ", %s=%s", LabelEnforceVersion, v.Version)
	}
	b.WriteString(")")
	if string(v.Enforced) != v.Label {
		fmt.Fprintf(&b, " (%q is not a level, so the API server applies restricted)", v.Label)
	}
	fmt.Fprintf(&b, ", which MR3's own Pods do not meet: %s", strings.Join(v.Why, "; "))
	if v.AMRefused {
		b.WriteString(". The API server will refuse the DAGAppMaster's Pod (its ReplicaSet reports FailedCreate) and the first job waits until MR3's mr3.k8s.pod.creation.timeout.ms")
	} else {
		b.WriteString(". The API server will refuse every ContainerWorker Pod the DAGAppMaster creates, so jobs get no executors")
	}
	b.WriteString(" (this is about MR3's Pods: the chart's driver Pods and test Pod carry a restricted security context)")
	fmt.Fprintf(&b, "; fix: label the namespace for MR3's Pods (kubectl label namespace %s %s=%s --overwrite), "+
		"or install into a namespace of its own that carries that label", v.Namespace, LabelEnforce, v.Needed)
	if v.Needed == Privileged {
		b.WriteString(", or drop the setting that needs privileged (localDirs.type=emptyDir instead of hostPath, mr3.workerSysctls empty)")
	}
	return b.String()
}

// Check reads namespace's labels and evaluates them. An error (e.g. Forbidden: a namespace
// admin may not read Namespace objects) means the level is unknown, not that it refuses.
func Check(ctx context.Context, client kubernetes.Interface, namespace string, s Settings) (Verdict, error) {
	ns, err := client.CoreV1().Namespaces().Get(ctx, namespace, metav1.GetOptions{})
	if err != nil {
		return Verdict{Namespace: namespace, Needed: s.Needed()}, fmt.Errorf("read the PodSecurity labels of namespace %s: %w", namespace, err)
	}
	return Evaluate(namespace, ns.Labels, s), nil
}

// Warning is Check as one line for install and check to print: "" when MR3's Pods are admitted
// or the namespace has no enforce label, the refusal's Message, or a note that the level could
// not be read.
func Warning(ctx context.Context, client kubernetes.Interface, namespace string, s Settings) string {
	v, err := Check(ctx, client, namespace, s)
	if err != nil {
		return fmt.Sprintf("could not check whether namespace %q admits MR3's DAGAppMaster and ContainerWorker Pods (%v); "+
			"they need PodSecurity %s or more permissive (label %s)", namespace, err, v.Needed, LabelEnforce)
	}
	return v.Message()
}

// ModelPods are Pods shaped as MR3 makes them, as far as PodSecurity looks: the DAGAppMaster
// and a ContainerWorker with no security context, with the hostPath volumes of s, and, with
// sysctls, a privileged init container. Tests hold Evaluate to the API server's admission
// with them (server-side dry-run in namespaces of each level).
func ModelPods(namespace string, s Settings) []*corev1.Pod {
	hostPaths := func(value, prefix string) []corev1.Volume {
		var vols []corev1.Volume
		for i, p := range mr3conf.SplitList(value) {
			vols = append(vols, corev1.Volume{Name: fmt.Sprintf("%s-%d", prefix, i),
				VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: p}}})
		}
		return vols
	}
	container := func(name string) corev1.Container {
		return corev1.Container{Name: name, Image: "mr3project/spark3", Command: []string{"/opt/mr3-run/spark/run-" + name + ".sh"}}
	}
	am := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "mr3master-model", Namespace: namespace,
			Labels: map[string]string{contract.LabelApp: "mr3", contract.LabelPodRole: contract.RoleMaster}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{container("master")},
			Volumes: append([]corev1.Volume{{Name: "emptydir-0", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
				hostPaths(s.MasterHostPaths, "master-hostpath")...)},
	}
	worker := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "mr3executor-model", Namespace: namespace,
			Labels: map[string]string{contract.LabelWorkerPodID: "1", contract.LabelPodRole: contract.RoleContainer}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{container("worker")},
			Volumes: append(hostPaths(s.WorkerHostPaths, "worker-hostpath"), hostPaths(s.WorkerAdditionalHostPaths, "worker-additional-hostpath")...)},
	}
	if strings.TrimSpace(s.WorkerSysctls) != "" {
		worker.Spec.InitContainers = []corev1.Container{{Name: "init-sysctls", Image: "busybox",
			Command:         []string{"sh", "-c", "sysctl -w " + strings.Join(mr3conf.SplitList(s.WorkerSysctls), " ")},
			SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)}}}
	}
	return []*corev1.Pod{am, worker}
}
