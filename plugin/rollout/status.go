package rollout

import (
	"fmt"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
)

// snapshot holds the release's objects as last seen, by name.
type snapshot struct {
	sets     map[string]*appsv1.StatefulSet
	pods     map[string]*corev1.Pod
	secrets  map[string]*corev1.Secret
	confs    map[string]*corev1.ConfigMap
	services map[string]*corev1.Service
}

func newSnapshot() *snapshot {
	return &snapshot{
		sets:     map[string]*appsv1.StatefulSet{},
		pods:     map[string]*corev1.Pod{},
		secrets:  map[string]*corev1.Secret{},
		confs:    map[string]*corev1.ConfigMap{},
		services: map[string]*corev1.Service{},
	}
}

// evaluation is the outcome of looking at a snapshot once.
type evaluation struct {
	states []ResourceState // in a fixed order: drivers, token, conf, AM service
	ready  *Ready          // nil unless everything needed is ready
}

// UnknownDriverError says that --driver named no driver of the release.
type UnknownDriverError struct {
	Release string
	Driver  string
	Known   []string
}

func (e *UnknownDriverError) Error() string {
	return fmt.Sprintf("release %q has no driver %q; its drivers: %s (choose one with --driver)",
		e.Release, e.Driver, strings.Join(e.Known, ", "))
}

func evaluate(t Target, s *snapshot) (evaluation, error) {
	var ev evaluation
	r := &Ready{}
	ok := true
	if !t.SkipDrivers {
		drivers, driversOK, err := evaluateDrivers(t, s)
		if err != nil {
			return ev, err
		}
		for _, d := range drivers {
			if t.Driver == "" || d.Name == t.Driver {
				ev.states = append(ev.states, d.State)
			}
		}
		if len(drivers) == 0 {
			name := t.Driver
			if name == "" {
				name = t.Release + "-*"
			}
			ev.states = append(ev.states, ResourceState{Kind: KindStatefulSet, Name: name, Reason: "NotFound",
				Message: "no driver StatefulSet with labels " + t.selector(contract.ComponentDriver)})
		}
		r.Drivers = drivers
		ok = ok && driversOK
	}

	// The plugin keeps the token in R-mr3-token; a plain helm install has the chart's R-token.
	secret := pick(s.secrets, contract.PluginTokenName(t.Release))
	if secret == nil || secret.Name != contract.PluginTokenName(t.Release) {
		if chartSecret := s.secrets[contract.TokenName(t.Release)]; chartSecret != nil {
			secret = chartSecret
		}
	}
	st := ResourceState{Kind: KindSecret, Name: contract.PluginTokenName(t.Release)}
	switch {
	case secret == nil:
		st.Reason, st.Message = "NotFound", "no Secret with labels "+t.selector(contract.ComponentToken)
	default:
		st.Name = secret.Name
		var missing []string
		for _, k := range []string{contract.KeyToken, contract.KeyTimestamp} {
			if len(secret.Data[k]) == 0 && secret.StringData[k] == "" {
				missing = append(missing, k)
			}
		}
		if len(missing) > 0 {
			st.Reason, st.Message = "MissingKey", "no value for "+strings.Join(missing, ", ")
		} else {
			st.Ready, st.Reason = true, "Present"
			r.TokenSecret = secret
		}
	}
	ev.states = append(ev.states, st)
	ok = ok && st.Ready

	conf := pick(s.confs, contract.ConfName(t.Release))
	st = ResourceState{Kind: KindConfigMap, Name: contract.ConfName(t.Release)}
	if conf == nil {
		st.Reason, st.Message = "NotFound", "no ConfigMap with labels "+t.selector(contract.ComponentConf)
	} else {
		st.Name, st.Ready, st.Reason = conf.Name, true, "Present"
		r.Conf = conf
	}
	ev.states = append(ev.states, st)
	ok = ok && st.Ready

	svc := pick(s.services, contract.AMServiceDefault(t.Release))
	st = ResourceState{Kind: KindService, Name: contract.AMServiceDefault(t.Release)}
	switch {
	case svc == nil:
		st.Reason, st.Message = "NotFound", "no Service with labels "+t.selector(contract.ComponentAMService)
	case svc.DeletionTimestamp != nil:
		st.Name, st.Reason = svc.Name, "Terminating"
	default:
		st.Name, st.Ready, st.Reason = svc.Name, true, "Present"
		r.AMService = svc
	}
	ev.states = append(ev.states, st)
	ok = ok && st.Ready

	if ok {
		ev.ready = r
	}
	return ev, nil
}

// pick returns the object named preferred, else the first by name, else nil. Objects are found
// by labels, so a fullnameOverride still works; the name only breaks ties.
func pick[T any](m map[string]*T, preferred string) *T {
	if o, ok := m[preferred]; ok {
		return o
	}
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	if len(names) == 0 {
		return nil
	}
	sort.Strings(names)
	return m[names[0]]
}

// evaluateDrivers returns every driver's state and whether the target's driver condition holds:
// the named driver is Ready, or (no name) any driver is Ready.
func evaluateDrivers(t Target, s *snapshot) ([]DriverPod, bool, error) {
	sets := driverSets(s.sets)
	names := sortedDrivers(sets)
	if t.Driver != "" && len(names) > 0 {
		if _, ok := sets[t.Driver]; !ok {
			return nil, false, &UnknownDriverError{Release: t.Release, Driver: t.Driver, Known: names}
		}
	}
	var drivers []DriverPod
	ok := false
	for _, n := range names {
		set := sets[n]
		pod := s.pods[contract.DriverPodName(set.Name)]
		d := DriverPod{Name: n, StatefulSet: set.Name, Pod: pod, State: podState(set, pod)}
		drivers = append(drivers, d)
		if d.Ready() && (t.Driver == "" || t.Driver == n) {
			ok = true
		}
	}
	return drivers, ok, nil
}

// podState is a driver Pod's readiness: Running, Ready, its driver container running, not being
// deleted, and on the StatefulSet's update revision.
func podState(set *appsv1.StatefulSet, pod *corev1.Pod) ResourceState {
	st := ResourceState{Kind: KindPod, Name: contract.DriverPodName(set.Name)}
	if set.DeletionTimestamp != nil {
		st.Reason, st.Message = "Terminating", "StatefulSet "+set.Name+" is being deleted"
		return st
	}
	if pod == nil {
		st.Reason, st.Message = "NotCreated", "StatefulSet "+set.Name+" has not created its Pod yet"
		return st
	}
	if pod.DeletionTimestamp != nil {
		st.Reason, st.Message = "Terminating", "Pod is being deleted; the StatefulSet will replace it"
		return st
	}
	switch pod.Status.Phase {
	case corev1.PodSucceeded, corev1.PodFailed:
		st.Reason = string(pod.Status.Phase)
		st.Message = strings.TrimSpace(pod.Status.Reason + " " + pod.Status.Message)
		return st
	}
	for _, c := range pod.Status.Conditions {
		// Only while unbound: a scheduler whose bind of an earlier Pod of the same name failed
		// ("pods "x-0" not found", the StatefulSet had replaced it) can leave this condition on
		// the new Pod, which is then bound and runs; the node name says it is scheduled.
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && pod.Spec.NodeName == "" {
			st.Reason, st.Message = nonEmpty(c.Reason, "NotScheduled"), c.Message
			return st
		}
	}
	if cs := driverContainerStatus(pod); cs != nil {
		switch {
		case cs.State.Waiting != nil:
			st.Reason, st.Message = nonEmpty(cs.State.Waiting.Reason, "Waiting"), cs.State.Waiting.Message
			if cs.RestartCount > 0 {
				st.Message = strings.TrimSpace(fmt.Sprintf("%s (restarted %d times)", st.Message, cs.RestartCount))
			}
			return st
		case cs.State.Terminated != nil:
			st.Reason = nonEmpty(cs.State.Terminated.Reason, "Terminated")
			st.Message = fmt.Sprintf("container %s exited with code %d %s", cs.Name, cs.State.Terminated.ExitCode, cs.State.Terminated.Message)
			return st
		}
	}
	if pod.Status.Phase != corev1.PodRunning {
		st.Reason = nonEmpty(string(pod.Status.Phase), "Pending")
		return st
	}
	ready := false
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			ready = c.Status == corev1.ConditionTrue
			if !ready {
				st.Reason, st.Message = nonEmpty(c.Reason, "NotReady"), c.Message
			}
		}
	}
	if !ready {
		st.Reason = nonEmpty(st.Reason, "NotReady")
		return st
	}
	if set.Generation > 0 && set.Status.ObservedGeneration < set.Generation {
		st.Reason = "RolloutPending"
		st.Message = fmt.Sprintf("StatefulSet %s generation %d not yet observed by its controller", set.Name, set.Generation)
		return st
	}
	if rev := pod.Labels[appsv1.ControllerRevisionHashLabelKey]; rev != "" && set.Status.UpdateRevision != "" && rev != set.Status.UpdateRevision {
		st.Reason = "OldRevision"
		st.Message = fmt.Sprintf("Pod runs revision %s; StatefulSet %s is rolling out %s", rev, set.Name, set.Status.UpdateRevision)
		return st
	}
	st.Ready, st.Reason = true, "Ready"
	return st
}

func driverContainerStatus(pod *corev1.Pod) *corev1.ContainerStatus {
	for i := range pod.Status.ContainerStatuses {
		if pod.Status.ContainerStatuses[i].Name == contract.DriverContainer {
			return &pod.Status.ContainerStatuses[i]
		}
	}
	if len(pod.Status.ContainerStatuses) == 1 {
		return &pod.Status.ContainerStatuses[0]
	}
	return nil
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
