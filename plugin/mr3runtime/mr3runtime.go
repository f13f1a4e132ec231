// Package mr3runtime finds the objects that MR3 creates at run time for one spark-mr3 release:
// the DAGAppMaster Deployment and its Pod, the ContainerWorker Pods, and the ConfigMaps and
// Services that the MR3 client and the DAGAppMaster make. None of them is part of the Helm
// release, so `helm uninstall` leaves them behind; status and teardown both use this package so
// that they agree on what belongs to a release.
//
// Attribution rules (see docs/DESIGN.md, "What MR3 makes at run time"), with <ts> the release's
// MR3_APPLICATION_ID_TIMESTAMP and F its fullname:
//   - AM Deployment: named mr3master-spark-<ts>-0 or mr3master-<ts>-0.
//   - AM Pod: mr3-pod-role=master-role, carries the release's master labels, is not a driver Pod
//     (no app.kubernetes.io/component=driver) and is named after one of the AM Deployments
//     above (Deployment Pods are named <deployment>-<hash>-<suffix>).
//   - ContainerWorker Pod (mr3-pod-role=container-role, bare Pods named mr3executor-<hex>-<n>,
//     or mr3worker-… for Hive): ours when an ownerReference points at our AM Pod or Deployment;
//     else when its spec references one of the release's objects (ServiceAccount F-worker,
//     ConfigMap F-conf, Secrets F-env/F-keytab/F-worker/F-token); else when <ts> appears in a
//     label or environment value; else, only when no other MR3 application is visible in the
//     namespace (no other token Secret, no AM Deployment with another timestamp). Otherwise it
//     is reported in Objects.Unattributed and left alone.
//   - Service service-master-<ts>-0: by name.
//   - ConfigMaps mr3conf-configmap-master, mr3conf-configmap-worker and Service service-worker:
//     MR3 gives them the same names for every application in a namespace, so they are ours only
//     when an ownerReference points at our AM, or when no other MR3 application is visible in
//     the namespace.
//
// Limitation: MR3's labels on workers and the shared-name objects are not documented; with
// several MR3 applications in one namespace and none of the ties above present, such objects
// are reported, not claimed. One namespace per release avoids the question entirely.
package mr3runtime

import (
	"context"
	"encoding/xml"
	"fmt"
	"regexp"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
)

// Label keys and values from MR3 and from docs/DESIGN.md.
const (
	LabelInstance  = "app.kubernetes.io/instance"
	LabelComponent = "app.kubernetes.io/component"
	LabelPartOf    = "app.kubernetes.io/part-of"
	LabelPodRole   = "mr3-pod-role"
	RoleMaster     = "master-role"
	RoleContainer  = "container-role"

	ComponentDriver    = "driver"
	ComponentToken     = "token"
	ComponentConf      = "conf"
	ComponentAMService = "am-service"

	// KeyTimestamp is the token Secret's key for MR3_APPLICATION_ID_TIMESTAMP.
	KeyTimestamp = "MR3_APPLICATION_ID_TIMESTAMP"
	// KeyMasterLabels is the mr3-site.xml key whose value MR3 puts on the DAGAppMaster Pod.
	KeyMasterLabels = "mr3.k8s.master.pod.additional.labels"

	ConfigMapMaster = "mr3conf-configmap-master"
	ConfigMapWorker = "mr3conf-configmap-worker"
	ServiceWorker   = "service-worker"
)

// DefaultMasterLabels is MR3's default for mr3.k8s.master.pod.additional.labels.
var DefaultMasterLabels = map[string]string{"sparkmr3_app": "mr3"}

var (
	amDeploymentName = regexp.MustCompile(`^mr3master-(?:spark-)?([0-9]+)-0$`)
	workerPodName    = regexp.MustCompile(`^mr3(?:executor|worker)-[0-9a-f]+-[0-9]+$`)
)

// AMDeploymentNames are the names MR3 gives the DAGAppMaster Deployment for timestamp ts.
func AMDeploymentNames(ts string) []string {
	return []string{"mr3master-spark-" + ts + "-0", "mr3master-" + ts + "-0"}
}

// AMServiceName is the name of the Service the MR3 client makes for timestamp ts.
func AMServiceName(ts string) string { return "service-master-" + ts + "-0" }

// SharedNames are the MR3-made objects whose names do not carry the timestamp.
var SharedNames = []string{ConfigMapMaster, ConfigMapWorker, ServiceWorker}

// Query says which release to look for. Namespace and Release are required; the rest are
// hints used when the release's own objects are gone (teardown reads them from the Helm
// release record), and are otherwise read from the cluster.
type Query struct {
	Namespace string
	Release   string
	// Fullname is the release's fullname F (defaults to the token Secret's name minus
	// "-token", else Release).
	Fullname string
	// Timestamp is MR3_APPLICATION_ID_TIMESTAMP when known from elsewhere.
	Timestamp string
	// MasterLabels are the DAGAppMaster Pod's extra labels when known from elsewhere.
	MasterLabels map[string]string
}

// Unattributed is an MR3-looking object that Find saw but could not tie to the release.
type Unattributed struct {
	Kind, Name, Reason string
}

// Objects is what Find found. Lists are sorted by name.
type Objects struct {
	Namespace string
	Release   string
	Fullname  string
	// Timestamp is the release's MR3_APPLICATION_ID_TIMESTAMP, "" when it could not be found.
	Timestamp string
	// TimestampSource says where Timestamp came from, for messages.
	TimestampSource string
	MasterLabels    map[string]string
	// MasterLabelsSource says where MasterLabels came from; "" means MR3's default was assumed
	// (then AM Pods are matched by name alone).
	MasterLabelsSource string
	// TokenSecret is the name of the release's token Secret, "" when it does not exist.
	TokenSecret string
	// OtherTimestamps are the timestamps of other MR3 applications visible in the namespace.
	OtherTimestamps []string

	AMDeployments []appsv1.Deployment
	AMPods        []corev1.Pod
	WorkerPods    []corev1.Pod
	ConfigMaps    []corev1.ConfigMap
	Services      []corev1.Service
	Unattributed  []Unattributed
	// Notes explain attributions made by the weaker rules.
	Notes []string
}

// Empty reports whether no MR3 run-time object of the release was found.
func (o *Objects) Empty() bool {
	return len(o.AMDeployments)+len(o.AMPods)+len(o.WorkerPods)+len(o.ConfigMaps)+len(o.Services) == 0
}

// Names lists every found object as kind/name, for messages and plans.
func (o *Objects) Names() []string {
	var out []string
	for _, d := range o.AMDeployments {
		out = append(out, "deployment/"+d.Name)
	}
	for _, p := range o.AMPods {
		out = append(out, "pod/"+p.Name)
	}
	for _, p := range o.WorkerPods {
		out = append(out, "pod/"+p.Name)
	}
	for _, c := range o.ConfigMaps {
		out = append(out, "configmap/"+c.Name)
	}
	for _, s := range o.Services {
		out = append(out, "service/"+s.Name)
	}
	return out
}

// Find looks up the MR3 run-time objects of release in namespace.
func Find(ctx context.Context, client kubernetes.Interface, namespace, release string) (*Objects, error) {
	return FindQuery(ctx, client, Query{Namespace: namespace, Release: release})
}

// FindQuery is Find with hints.
func FindQuery(ctx context.Context, client kubernetes.Interface, q Query) (*Objects, error) {
	if q.Namespace == "" || q.Release == "" {
		return nil, fmt.Errorf("find MR3 objects: namespace and release are required")
	}
	f := &finder{client: client, q: q, o: &Objects{Namespace: q.Namespace, Release: q.Release}}
	if err := f.identity(ctx); err != nil {
		return nil, err
	}
	if err := f.list(ctx); err != nil {
		return nil, err
	}
	f.attribute()
	return f.o, nil
}

type finder struct {
	client kubernetes.Interface
	q      Query
	o      *Objects

	deployments []appsv1.Deployment
	pods        []corev1.Pod
	configMaps  []corev1.ConfigMap
	services    []corev1.Service
	// otherTokens are the timestamps held by other releases' token Secrets (and MR3's own
	// client-am-config ConfigMaps).
	otherTokens map[string]bool
}

// identity finds F, the timestamp and the master labels from the release's own objects.
func (f *finder) identity(ctx context.Context) error {
	ns, rel := f.q.Namespace, f.q.Release
	o := f.o
	o.Fullname = f.q.Fullname
	o.Timestamp = f.q.Timestamp
	if o.Timestamp != "" {
		o.TimestampSource = "the release record"
	}
	o.MasterLabels = f.q.MasterLabels
	if o.MasterLabels != nil {
		o.MasterLabelsSource = "the release record"
	}
	f.otherTokens = map[string]bool{}

	secrets, err := f.client.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list Secrets in namespace %q: %w", ns, err)
	}
	var token *corev1.Secret
	for i := range secrets.Items {
		s := &secrets.Items[i]
		ts, ok := s.Data[KeyTimestamp]
		if !ok {
			continue
		}
		mine := s.Labels[LabelInstance] == rel && s.Labels[LabelComponent] == ComponentToken
		if !mine && s.Labels[LabelInstance] == "" && (s.Name == rel+"-token" || (o.Fullname != "" && s.Name == o.Fullname+"-token")) {
			mine = true
		}
		if mine && token == nil {
			token = s
			continue
		}
		f.otherTokens[strings.TrimSpace(string(ts))] = true
	}
	cms, err := f.client.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list ConfigMaps in namespace %q: %w", ns, err)
	}
	f.configMaps = cms.Items
	for _, cm := range cms.Items {
		// MR3's manual setup and Hive on MR3's chart keep the timestamp in client-am-config.
		if ts, ok := cm.Data["timestamp"]; ok && cm.Name == "client-am-config" {
			f.otherTokens[strings.TrimSpace(ts)] = true
		}
	}

	if token != nil {
		o.TokenSecret = token.Name
		if o.Fullname == "" {
			o.Fullname = strings.TrimSuffix(token.Name, "-token")
		}
		if ts := strings.TrimSpace(string(token.Data[KeyTimestamp])); ts != "" {
			if o.Timestamp != "" && o.Timestamp != ts {
				o.Notes = append(o.Notes, fmt.Sprintf("Secret %s holds timestamp %s, the release record %s; using the Secret's", token.Name, ts, o.Timestamp))
			}
			o.Timestamp = ts
			o.TimestampSource = "Secret " + token.Name
		}
	}
	if o.Fullname == "" {
		o.Fullname = rel
	}
	delete(f.otherTokens, o.Timestamp)

	if o.MasterLabels == nil {
		o.MasterLabels, o.MasterLabelsSource = f.masterLabelsFromCluster(ctx)
	}
	if o.MasterLabels == nil {
		o.MasterLabels = DefaultMasterLabels
	}
	return nil
}

// masterLabelsFromCluster reads mr3.k8s.master.pod.additional.labels from the conf ConfigMap,
// else the `mr3` Service's selector.
func (f *finder) masterLabelsFromCluster(ctx context.Context) (map[string]string, string) {
	ns, rel := f.q.Namespace, f.q.Release
	for _, cm := range f.configMaps {
		if cm.Labels[LabelInstance] != rel || cm.Labels[LabelComponent] != ComponentConf {
			if cm.Name != f.o.Fullname+"-conf" {
				continue
			}
		}
		if v, ok := SiteProperty(cm.Data["mr3-site.xml"], KeyMasterLabels); ok {
			if l := ParseLabels(v); len(l) > 0 {
				return l, "ConfigMap " + cm.Name
			}
		}
	}
	svcs, err := f.client.CoreV1().Services(ns).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(labels.Set{LabelInstance: rel, LabelComponent: ComponentAMService}).String()})
	if err == nil {
		for _, s := range svcs.Items {
			if len(s.Spec.Selector) > 0 {
				return s.Spec.Selector, "Service " + s.Name
			}
		}
	}
	return nil, ""
}

func (f *finder) list(ctx context.Context) error {
	ns := f.q.Namespace
	deps, err := f.client.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list Deployments in namespace %q: %w", ns, err)
	}
	f.deployments = deps.Items
	pods, err := f.client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: LabelPodRole})
	if err != nil {
		return fmt.Errorf("list Pods in namespace %q: %w", ns, err)
	}
	f.pods = pods.Items
	svcs, err := f.client.CoreV1().Services(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list Services in namespace %q: %w", ns, err)
	}
	f.services = svcs.Items
	return nil
}

func (f *finder) attribute() {
	o := f.o
	others := map[string]bool{}
	for ts := range f.otherTokens {
		others[ts] = true
	}
	// AM Deployments: by timestamp; when the timestamp is unknown (release gone), by a pod
	// template that references the release's objects.
	for _, d := range f.deployments {
		m := amDeploymentName.FindStringSubmatch(d.Name)
		if m == nil {
			continue
		}
		ts := m[1]
		switch {
		case o.Timestamp != "" && ts == o.Timestamp:
			o.AMDeployments = append(o.AMDeployments, d)
		case o.Timestamp == "" && !f.otherTokens[ts] && referencesRelease(&d.Spec.Template.Spec, o.Fullname):
			o.Timestamp, o.TimestampSource = ts, "Deployment "+d.Name+" (it mounts the release's objects)"
			o.AMDeployments = append(o.AMDeployments, d)
		default:
			others[ts] = true
		}
	}
	if o.Timestamp == "" {
		// Still unknown: nothing below can be tied by timestamp.
		o.Notes = append(o.Notes, "timestamp unknown: no token Secret, release record or AM Deployment tied to the release")
	}
	delete(others, o.Timestamp)
	o.OtherTimestamps = sortedKeys(others)
	sole := len(others) == 0

	amUIDs := map[string]bool{}
	for _, d := range o.AMDeployments {
		amUIDs[string(d.UID)] = true
	}
	prefixes := []string{}
	if o.Timestamp != "" {
		for _, n := range AMDeploymentNames(o.Timestamp) {
			prefixes = append(prefixes, n+"-")
		}
	}
	masterSel := labels.SelectorFromSet(o.MasterLabels)
	for _, p := range f.pods {
		if p.Labels[LabelPodRole] != RoleMaster || p.Labels[LabelComponent] == ComponentDriver {
			continue
		}
		if o.MasterLabelsSource != "" && !masterSel.Matches(labels.Set(p.Labels)) {
			continue
		}
		if hasPrefix(p.Name, prefixes) {
			o.AMPods = append(o.AMPods, p)
			amUIDs[string(p.UID)] = true
		}
	}

	weak := map[string][]string{}
	for _, p := range f.pods {
		if p.Labels[LabelPodRole] != RoleContainer {
			continue
		}
		ok, why := f.ownsWorker(&p, amUIDs, others, sole)
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

	shared := map[string]bool{}
	for _, n := range SharedNames {
		shared[n] = true
	}
	claim := func(kind, name string, meta metav1.ObjectMeta) bool {
		if o.Timestamp != "" && kind == "Service" && name == AMServiceName(o.Timestamp) {
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
		if labelsMention(meta.Labels, o.Timestamp) {
			return true
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
	sortObjects(o)
}

// ownsWorker applies the worker rules in order; why explains a weak attribution or a refusal.
func (f *finder) ownsWorker(p *corev1.Pod, amUIDs map[string]bool, others map[string]bool, sole bool) (bool, string) {
	o := f.o
	if owned, known := ownedBy(p.OwnerReferences, amUIDs); known {
		if owned {
			return true, ""
		}
		return false, "owned by another application's DAGAppMaster"
	}
	if referencesRelease(&p.Spec, o.Fullname) {
		return true, ""
	}
	if o.Timestamp != "" && podMentions(p, o.Timestamp) {
		return true, ""
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

// referencesRelease reports whether a Pod spec uses one of the release's own objects.
func referencesRelease(spec *corev1.PodSpec, fullname string) bool {
	if fullname == "" {
		return false
	}
	sas := map[string]bool{fullname + "-master": true, fullname + "-worker": true}
	cms := map[string]bool{fullname + "-conf": true}
	secrets := map[string]bool{fullname + "-env": true, fullname + "-keytab": true, fullname + "-worker": true, fullname + "-token": true}
	if sas[spec.ServiceAccountName] {
		return true
	}
	for _, v := range spec.Volumes {
		if v.ConfigMap != nil && cms[v.ConfigMap.Name] {
			return true
		}
		if v.Secret != nil && secrets[v.Secret.SecretName] {
			return true
		}
		if v.Projected != nil {
			for _, s := range v.Projected.Sources {
				if s.ConfigMap != nil && cms[s.ConfigMap.Name] || s.Secret != nil && secrets[s.Secret.Name] {
					return true
				}
			}
		}
	}
	containers := append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...)
	for _, c := range containers {
		for _, e := range c.EnvFrom {
			if e.ConfigMapRef != nil && cms[e.ConfigMapRef.Name] || e.SecretRef != nil && secrets[e.SecretRef.Name] {
				return true
			}
		}
		for _, e := range c.Env {
			if e.ValueFrom == nil {
				continue
			}
			if r := e.ValueFrom.SecretKeyRef; r != nil && secrets[r.Name] {
				return true
			}
			if r := e.ValueFrom.ConfigMapKeyRef; r != nil && cms[r.Name] {
				return true
			}
		}
	}
	return false
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

// SiteProperty returns the value of key in a Hadoop-style XML configuration (mr3-site.xml).
func SiteProperty(doc, key string) (string, bool) {
	var c struct {
		Properties []struct {
			Name  string `xml:"name"`
			Value string `xml:"value"`
		} `xml:"property"`
	}
	if err := xml.Unmarshal([]byte(doc), &c); err != nil {
		return "", false
	}
	for _, p := range c.Properties {
		if strings.TrimSpace(p.Name) == key {
			return strings.TrimSpace(p.Value), true
		}
	}
	return "", false
}

// ParseLabels parses MR3's label list "k1=v1,k2=v2".
func ParseLabels(s string) map[string]string {
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if ok && strings.TrimSpace(k) != "" {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

func hasPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		if k != "" {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func sortObjects(o *Objects) {
	sort.Slice(o.AMDeployments, func(i, j int) bool { return o.AMDeployments[i].Name < o.AMDeployments[j].Name })
	sort.Slice(o.AMPods, func(i, j int) bool { return o.AMPods[i].Name < o.AMPods[j].Name })
	sort.Slice(o.WorkerPods, func(i, j int) bool { return o.WorkerPods[i].Name < o.WorkerPods[j].Name })
	sort.Slice(o.ConfigMaps, func(i, j int) bool { return o.ConfigMaps[i].Name < o.ConfigMaps[j].Name })
	sort.Slice(o.Services, func(i, j int) bool { return o.Services[i].Name < o.Services[j].Name })
	sort.Slice(o.Unattributed, func(i, j int) bool {
		return o.Unattributed[i].Kind+o.Unattributed[i].Name < o.Unattributed[j].Kind+o.Unattributed[j].Name
	})
}

func boolKeys(m map[string][]string) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}
