package mr3runtime

import (
	"fmt"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
)

// attribution is what attribute's phases learn and pass on.
type attribution struct {
	// ours are the release's timestamps: the current one, earlier ones no other application
	// holds now, and those of its AM Deployments.
	ours map[string]bool
	// past are the timestamps the release held before that no other release holds now.
	past map[string]bool
	// others are other MR3 applications' timestamps, with their holders.
	others map[string]string
	// amUIDs are the UIDs of the release's AM Deployments and AM Pods.
	amUIDs map[string]bool
	// sole is true when no other MR3 application is in the namespace.
	sole bool
}

// attribute decides which of the listed MR3 objects are the release's, in phases: the
// timestamps it holds, its AM Deployments (by what they use, then by timestamp), their Pods,
// the ContainerWorkers, and MR3's objects of shared names.
func (f *finder) attribute() {
	a := f.timestamps()
	f.amDeployments(a)
	f.amPods(a)
	f.workers(a)
	f.sharedObjects(a)
	sortObjects(f.o)
}

// timestamps starts the attribution from the release's current and earlier timestamps and
// the other applications' ones.
func (f *finder) timestamps() *attribution {
	o := f.o
	ours := map[string]bool{}
	if o.Timestamp != "" {
		ours[o.Timestamp] = true
	}
	// Timestamps the release held before (and no other release holds now) stay its own: a
	// DAGAppMaster may be gone while its AM Service or workers are left.
	past := map[string]bool{}
	for _, ts := range f.q.PastTimestamps {
		if _, held := f.otherTokens[ts]; !held && ts != "" {
			past[ts] = true
			ours[ts] = true
		}
	}
	others := map[string]string{}
	for ts, h := range f.otherTokens {
		others[ts] = h
	}
	return &attribution{ours: ours, past: past, others: others}
}

// amDeployments finds the release's AM Deployments, by what their Pod template uses, then by
// timestamp; then settles the timestamps (the release's, the others', whether it is alone).
func (f *finder) amDeployments(a *attribution) {
	o, ours, past, others := f.o, a.ours, a.past, a.others
	var newest *appsv1.Deployment
	for i := range f.deployments {
		d := &f.deployments[i]
		ts := AMDeploymentTimestamp(d.Name)
		if ts == "" {
			continue
		}
		mine, other := f.uses(&d.Spec.Template.Spec)
		switch {
		case mine != "":
		case other != "":
			others[ts] = fmt.Sprintf("release %q (Deployment %s)", other, d.Name)
			continue
		case ts == o.Timestamp:
		case past[ts]:
		default:
			if _, ok := others[ts]; !ok {
				others[ts] = "Deployment " + d.Name
			}
			continue
		}
		o.AMDeployments = append(o.AMDeployments, *d)
		ours[ts] = true
		if newest == nil || newest.CreationTimestamp.Before(&d.CreationTimestamp) {
			newest = d
		}
	}
	if o.Timestamp == "" && newest != nil {
		o.Timestamp = AMDeploymentTimestamp(newest.Name)
		o.TimestampSource = "Deployment " + newest.Name + " (it uses the release's objects)"
	}
	if o.Timestamp == "" {
		o.Notes = append(o.Notes, "timestamp unknown: no token Secret, release record or AM Deployment tied to the release")
	}
	for ts := range ours {
		delete(others, ts)
	}
	o.Timestamps = sortedKeys(ours)
	for _, ts := range sortedKeys(boolSet(others)) {
		o.Others = append(o.Others, Holder{Timestamp: ts, Holder: others[ts]})
		o.OtherTimestamps = append(o.OtherTimestamps, ts)
	}
	a.sole = len(others) == 0
	if stale := o.Stale(); len(stale) > 0 {
		o.Notes = append(o.Notes, fmt.Sprintf("DAGAppMaster %s belongs to an earlier token of the release (drivers now use %s); it keeps running until 'helm sparkmr3 teardown', which removes it with its workers",
			strings.Join(stale, ", "), applicationOrUnknown(o.Timestamp)))
	}
}

// amPods finds the release's AM Pods: those of its AM Deployments, of its timestamps, or using
// its objects.
func (f *finder) amPods(a *attribution) {
	o := f.o
	amUIDs := map[string]bool{}
	prefixes := []string{}
	for _, d := range o.AMDeployments {
		amUIDs[string(d.UID)] = true
		prefixes = append(prefixes, d.Name+"-")
	}
	for _, p := range f.pods {
		if p.Labels[contract.LabelPodRole] != contract.RoleMaster || p.Labels[contract.LabelComponent] == contract.ComponentDriver {
			continue
		}
		m := amPodName.FindStringSubmatch(p.Name)
		if m == nil {
			continue
		}
		mine, _ := f.uses(&p.Spec)
		if hasPrefix(p.Name, prefixes) || a.ours[m[1]] || mine != "" {
			o.AMPods = append(o.AMPods, p)
			amUIDs[string(p.UID)] = true
		}
	}
	a.amUIDs = amUIDs
}

// workers finds the release's ContainerWorker Pods (ownsWorker) and notes those tied by the
// weaker rules.
func (f *finder) workers(a *attribution) {
	o := f.o
	weak := map[string][]string{}
	for _, p := range f.pods {
		if p.Labels[contract.LabelPodRole] != contract.RoleContainer {
			continue
		}
		ok, why := f.ownsWorker(&p, a.amUIDs, a.ours, a.others, a.sole)
		if ok {
			o.WorkerPods = append(o.WorkerPods, p)
			if why != "" {
				weak[why] = append(weak[why], p.Name)
			}
		} else {
			o.Unattributed = append(o.Unattributed, Unattributed{Kind: "Pod", Name: p.Name, Reason: why})
		}
	}
	for _, why := range sortedKeys(boolKeys(weak)) {
		sort.Strings(weak[why])
		o.Notes = append(o.Notes, fmt.Sprintf("%d ContainerWorker pod(s) %s: %s", len(weak[why]), why, strings.Join(weak[why], ", ")))
	}
}

// sharedObjects finds the release's AM Services and MR3's ConfigMaps and Services of shared
// names: owned by its AM, labelled with one of its timestamps, or the namespace's only
// application's.
func (f *finder) sharedObjects(a *attribution) {
	o, ours, amUIDs, sole := f.o, a.ours, a.amUIDs, a.sole
	shared := map[string]bool{}
	for _, n := range SharedNames {
		shared[n] = true
	}
	amServices := map[string]bool{}
	for ts := range ours {
		amServices[contract.AMServiceName(ts)] = true
	}
	claim := func(kind, name string, meta metav1.ObjectMeta) bool {
		if kind == "Service" && amServices[name] {
			return true
		}
		if !shared[name] {
			return false
		}
		if owned, known := ownedBy(meta.OwnerReferences, amUIDs); known {
			if !owned {
				o.Unattributed = append(o.Unattributed, Unattributed{Kind: kind, Name: name, Reason: "owned by another application's DAGAppMaster"})
			}
			return owned
		}
		for ts := range ours {
			if labelsMention(meta.Labels, ts) {
				return true
			}
		}
		if sole {
			return true
		}
		o.Unattributed = append(o.Unattributed, Unattributed{Kind: kind, Name: name,
			Reason: "MR3 uses this name for every application in the namespace and another one (timestamp " + strings.Join(o.OtherTimestamps, ", ") + ") is still there"})
		return false
	}
	for _, cm := range f.configMaps {
		if claim("ConfigMap", cm.Name, cm.ObjectMeta) {
			o.ConfigMaps = append(o.ConfigMaps, cm)
		}
	}
	for _, s := range f.services {
		if claim("Service", s.Name, s.ObjectMeta) {
			o.Services = append(o.Services, s)
		}
	}
}

// ownsWorker applies the worker rules in order; why explains a weak attribution or a refusal.
func (f *finder) ownsWorker(p *corev1.Pod, amUIDs, ours map[string]bool, others map[string]string, sole bool) (bool, string) {
	o := f.o
	if owned, known := ownedBy(p.OwnerReferences, amUIDs); known {
		if owned {
			return true, ""
		}
		return false, "owned by another application's DAGAppMaster"
	}
	mine, other := f.uses(&p.Spec)
	if mine != "" {
		return true, ""
	}
	if other != "" {
		return false, fmt.Sprintf("uses the objects of release %q", other)
	}
	for ts := range ours {
		if podMentions(p, ts) {
			return true, ""
		}
	}
	for ts := range others {
		if podMentions(p, ts) {
			return false, "carries the timestamp " + ts + " of another MR3 application"
		}
	}
	if !workerPodName.MatchString(p.Name) {
		return false, "not named like an MR3 ContainerWorker"
	}
	if sole && (o.Timestamp != "" || len(o.AMDeployments) > 0) {
		return true, "attributed to the release because it is the only MR3 application in the namespace"
	}
	if sole {
		return false, "no token Secret or AM Deployment ties it to the release"
	}
	return false, "several MR3 applications in the namespace and nothing ties this Pod to one"
}

// ownedBy reports whether refs point at one of uids; known is false when refs name no Pod or
// Deployment (nothing to judge by).
func ownedBy(refs []metav1.OwnerReference, uids map[string]bool) (owned, known bool) {
	for _, r := range refs {
		if r.Kind != "Pod" && r.Kind != "Deployment" && r.Kind != "ReplicaSet" {
			continue
		}
		known = true
		if uids[string(r.UID)] {
			return true, true
		}
	}
	return false, known
}

// podMentions reports whether ts is a label value or environment value of the Pod, alone or as
// part of the application ID application_<ts>_0000.
func podMentions(p *corev1.Pod, ts string) bool {
	if labelsMention(p.Labels, ts) {
		return true
	}
	for _, c := range p.Spec.Containers {
		for _, e := range c.Env {
			if e.Value == ts || strings.Contains(e.Value, "application_"+ts+"_") {
				return true
			}
		}
	}
	return false
}

func labelsMention(l map[string]string, ts string) bool {
	if ts == "" {
		return false
	}
	for _, v := range l {
		if v == ts || strings.Contains(v, "application_"+ts+"_") || strings.HasSuffix(v, "-"+ts) {
			return true
		}
	}
	return false
}
