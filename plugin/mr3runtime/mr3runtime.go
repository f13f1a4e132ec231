// Package mr3runtime finds the objects that MR3 creates at run time for one spark-mr3 release:
// the DAGAppMaster Deployment and its Pod, the ContainerWorker Pods, and the ConfigMaps and
// Services that the MR3 client and the DAGAppMaster make. None of them is part of the Helm
// release, so `helm uninstall` leaves them behind; status, teardown and install (which must not
// hand out a timestamp that is in use) all ask this package, so that they agree on what
// belongs to a release. This is the only place that attributes run-time objects.
//
// A release's run-time objects are known first by what they USE, because that survives every
// change of the token or timestamp (--rotate-token, pinned values, helm rollback, an --atomic
// rollback): MR3 runs the DAGAppMaster with the release's master ServiceAccount and mounts the
// release's conf ConfigMap (mr3.k8s.conf.dir.configmap), keytab and worker Secrets into it and
// into every ContainerWorker, which runs as the worker ServiceAccount. The release's own
// objects ("Refs") come from its manifests (every revision Helm kept), its live labelled
// objects, and the names docs/DESIGN.md gives them. Rules, in order, with <ts> a timestamp:
//   - AM Deployment mr3master-spark-<ts>-0 or mr3master-<ts>-0: the release's when its Pod
//     template uses one of the release's objects; another release's when it uses one of
//     theirs; else the release's when <ts> is its current timestamp or one it held in an
//     earlier revision (and no other release holds it now).
//   - AM Pod: mr3-pod-role=master-role, not a driver (no app.kubernetes.io/component=driver),
//     named after one of the release's AM Deployments (<deployment>-<hash>-<suffix>) or using
//     the release's objects.
//   - ContainerWorker Pod (mr3-pod-role=container-role, bare Pods mr3executor-<hex>-<n>, or
//     mr3worker-… for Hive): by an ownerReference to one of the release's AM Pods or
//     Deployments; else by using the release's objects (refused when it uses another
//     release's); else by one of the release's timestamps in a label or environment value;
//     else, only when no other MR3 application is visible in the namespace.
//   - Service service-master-<ts>-0: by name, for each of the release's timestamps.
//   - ConfigMaps mr3conf-configmap-master, mr3conf-configmap-worker and Service service-worker:
//     MR3 gives them the same names for every application in a namespace, so they are the
//     release's only when an ownerReference points at its AM, a label names one of its
//     timestamps, or no other MR3 application is visible in the namespace. The release's own
//     older DAGAppMasters do not count as "other applications".
//
// Limitation: MR3's labels on workers and the shared-name objects are not documented; with
// several MR3 applications in one namespace and none of the ties above present, such objects
// are reported, not claimed. One namespace per release avoids the question entirely.
package mr3runtime

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"github.com/spark-mr3/spark-mr3/plugin/mr3conf"
)

// mr3-site.xml keys that name objects of the release MR3 mounts into its Pods. The
// ServiceAccount keys (mr3.k8s.pod.master/worker.serviceaccount) are left out: they may name
// an existing account, even "default", that other workloads use too; the release's own
// accounts come from its manifests and labels.
var siteRefKeys = map[string]string{
	contract.SiteConfigMap:    KindConfigMap,
	contract.SiteKeytabSecret: KindSecret,
	contract.SiteWorkerSecret: KindSecret,
}

var (
	amDeploymentName = regexp.MustCompile(`^mr3master-(?:spark-)?([0-9]+)-0$`)
	amPodName        = regexp.MustCompile(`^mr3master-(?:spark-)?([0-9]+)-0-`)
	workerPodName    = regexp.MustCompile(`^mr3(?:executor|worker)-[0-9a-f]+-[0-9]+$`)
)

// AMDeploymentTimestamp returns the timestamp in an AM Deployment's name, "" if name is not
// one.
func AMDeploymentTimestamp(name string) string {
	if m := amDeploymentName.FindStringSubmatch(name); m != nil {
		return m[1]
	}
	return ""
}

// SharedNames are the MR3-made objects whose names do not carry the timestamp.
var SharedNames = []string{contract.ConfigMapMaster, contract.ConfigMapWorker, contract.ServiceWorker}

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
	// PastTimestamps are timestamps the release held in earlier revisions (Helm history).
	PastTimestamps []string
	// MasterLabels are the DAGAppMaster Pod's extra labels when known from elsewhere.
	MasterLabels map[string]string
	// Refs are the release's own objects when known from elsewhere (its manifests).
	Refs Refs
	// Problems are what could not be read where the hints came from (see Objects.Problems).
	Problems []string
}

// Holder is one MR3 application's claim on a timestamp.
type Holder struct {
	Timestamp string
	// Holder says who holds it, for messages: `release "b" (Secret b-token)`,
	// `Deployment mr3master-spark-123-0`, `ConfigMap client-am-config`.
	Holder string
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
	// Timestamp is the release's current MR3_APPLICATION_ID_TIMESTAMP, "" when it could not
	// be found.
	Timestamp string
	// TimestampSource says where Timestamp came from, for messages.
	TimestampSource string
	// Timestamps are every timestamp whose MR3 objects are the release's: Timestamp, those of
	// earlier tokens whose DAGAppMaster is still there, and Query.PastTimestamps that no other
	// application holds. Sorted.
	Timestamps   []string
	MasterLabels map[string]string
	// MasterLabelsSource says where MasterLabels came from; "" means the chart's default for
	// the release's fullname was assumed (contract.DefaultMasterLabels).
	MasterLabelsSource string
	// TokenSecret is the name of the release's token Secret, "" when it does not exist.
	TokenSecret string
	// Refs are the release's own objects that tie MR3's Pods to it.
	Refs Refs
	// Others are the timestamps of other MR3 applications visible in the namespace, sorted.
	Others []Holder
	// OtherTimestamps are the timestamps of Others.
	OtherTimestamps []string

	AMDeployments []appsv1.Deployment
	AMPods        []corev1.Pod
	WorkerPods    []corev1.Pod
	ConfigMaps    []corev1.ConfigMap
	Services      []corev1.Service
	Unattributed  []Unattributed
	// Notes explain attributions made by the weaker rules, and DAGAppMasters of old tokens.
	Notes []string
	// Problems are parts of the release's configuration that could not be read (a broken
	// mr3-site.xml, found by the strict parsers check uses). Find still returns what it found
	// without them; status and teardown report them and go on.
	Problems []string
}

// Empty reports whether no MR3 run-time object of the release was found.
func (o *Objects) Empty() bool {
	return len(o.AMDeployments)+len(o.AMPods)+len(o.WorkerPods)+len(o.ConfigMaps)+len(o.Services) == 0
}

// Stale lists the release's AM Deployments of a timestamp other than the current one: the
// DAGAppMasters of an earlier token, which drivers holding the current one no longer reach.
func (o *Objects) Stale() []string {
	var out []string
	for _, d := range o.AMDeployments {
		if ts := AMDeploymentTimestamp(d.Name); ts != "" && ts != o.Timestamp {
			out = append(out, d.Name)
		}
	}
	return out
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
	// client-am-config ConfigMaps), with their holders.
	otherTokens map[string]string
	// otherRefs are other spark-mr3 releases' objects (Refs keys) with the release's name.
	otherRefs map[string]string
}

// identity finds F, the timestamp, the release's own objects and the master labels.
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
	o.Refs = Refs{}
	o.Refs.Merge(f.q.Refs)
	o.Problems = append(o.Problems, f.q.Problems...)
	f.otherTokens = map[string]string{}
	f.otherRefs = map[string]string{}

	// Token Secrets only (by the chart's labels): other applications' Secrets are not read.
	secrets, err := f.client.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{
		LabelSelector: labels.SelectorFromSet(labels.Set{contract.LabelName: contract.ChartName, contract.LabelComponent: contract.ComponentToken}).String()})
	if err != nil {
		return fmt.Errorf("list token Secrets in namespace %q: %w", ns, err)
	}
	var token *corev1.Secret
	for i := range secrets.Items {
		s := &secrets.Items[i]
		ts, ok := s.Data[contract.KeyTimestamp]
		if !ok {
			continue
		}
		if s.Labels[contract.LabelInstance] == rel {
			// The plugin's own Secret (F-mr3-token) over the chart's F-token when both are
			// there (a release being migrated); the other one's timestamp is still the release's.
			if token == nil || (s.Labels[contract.LabelManagedBy] == contract.ManagedByPlugin && token.Labels[contract.LabelManagedBy] != contract.ManagedByPlugin) {
				if token != nil {
					f.q.PastTimestamps = append(f.q.PastTimestamps, strings.TrimSpace(string(token.Data[contract.KeyTimestamp])))
				}
				token = s
			} else {
				f.q.PastTimestamps = append(f.q.PastTimestamps, strings.TrimSpace(string(ts)))
			}
			continue
		}
		other := s.Labels[contract.LabelInstance]
		f.otherTokens[strings.TrimSpace(string(ts))] = fmt.Sprintf("release %q (Secret %s)", other, s.Name)
		if other != "" {
			DefaultRefs(contract.FullnameOfToken(s.Name)).each(func(k string) { f.otherRefs[k] = other })
		}
	}
	if token == nil {
		// A token Secret that lost its labels (e.g. to an overlay): by its name.
	names:
		for _, n := range uniq(rel, o.Fullname) {
			for _, name := range []string{contract.PluginTokenName(n), contract.TokenName(n)} {
				s, err := f.client.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
				if err == nil && s.Labels[contract.LabelInstance] == "" {
					if _, ok := s.Data[contract.KeyTimestamp]; ok {
						token = s
						break names
					}
				} else if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsForbidden(err) {
					return fmt.Errorf("read Secret %s/%s: %w", ns, name, err)
				}
			}
		}
	}
	cms, err := f.client.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list ConfigMaps in namespace %q: %w", ns, err)
	}
	f.configMaps = cms.Items
	for _, cm := range cms.Items {
		// MR3's manual setup and Hive on MR3's chart keep the timestamp in client-am-config.
		if ts, ok := cm.Data["timestamp"]; ok && cm.Name == contract.ClientAMConfig {
			f.otherTokens[strings.TrimSpace(ts)] = "ConfigMap " + contract.ClientAMConfig
		}
	}

	if token != nil {
		o.TokenSecret = token.Name
		if o.Fullname == "" {
			o.Fullname = contract.FullnameOfToken(token.Name)
		}
		if ts := strings.TrimSpace(string(token.Data[contract.KeyTimestamp])); ts != "" {
			if o.Timestamp != "" && o.Timestamp != ts {
				o.Notes = append(o.Notes, fmt.Sprintf("Secret %s holds timestamp %s, the release record %s; using the Secret's", token.Name, ts, o.Timestamp))
			}
			o.Timestamp = ts
			o.TimestampSource = "Secret " + token.Name
		}
		// The plugin's Secret remembers the timestamps it held before (its release record
		// holds only a checksum of the token, so Helm's history no longer names them).
		for _, ts := range strings.Split(token.Annotations[contract.AnnotationPastTimestamps], ",") {
			if ts = strings.TrimSpace(ts); ts != "" {
				f.q.PastTimestamps = append(f.q.PastTimestamps, ts)
			}
		}
	}
	if o.Fullname == "" {
		o.Fullname = rel
	}
	delete(f.otherTokens, o.Timestamp)
	if err := f.liveRefs(ctx); err != nil {
		return err
	}

	if o.MasterLabels == nil {
		o.MasterLabels, o.MasterLabelsSource = f.masterLabelsFromCluster(ctx)
	}
	if o.MasterLabels == nil {
		// The chart's default for this fullname (contract.DefaultMasterLabels), as the chart
		// renders it when mr3.masterLabels is empty.
		o.MasterLabels = contract.DefaultMasterLabels(o.Fullname)
	}
	return nil
}

// liveRefs adds the release's labelled ConfigMaps, Secrets, ServiceAccounts and claims (and
// what its mr3-site.xml names) to Refs, and other spark-mr3 releases' to otherRefs.
func (f *finder) liveRefs(ctx context.Context) error {
	ns, rel, o := f.q.Namespace, f.q.Release, f.o
	o.Refs.Merge(DefaultRefs(o.Fullname))
	mineOrOther := func(kind string, m metav1.ObjectMeta) {
		inst := m.Labels[contract.LabelInstance]
		switch {
		case inst == "" || m.Labels[contract.LabelName] != contract.ChartName:
		case inst == rel:
			o.Refs.Add(kind, m.Name)
		default:
			f.otherRefs[refKey(kind, m.Name)] = inst
		}
	}
	for _, cm := range f.configMaps {
		mineOrOther(KindConfigMap, cm.ObjectMeta)
		if cm.Labels[contract.LabelInstance] == rel && cm.Labels[contract.LabelComponent] == contract.ComponentConf || cm.Name == contract.ConfName(o.Fullname) {
			refs, err := SiteRefs([]byte(cm.Data[contract.FileMR3Site]))
			o.Refs.Merge(refs)
			if err != nil {
				o.Problems = append(o.Problems, siteProblem("ConfigMap "+cm.Name, err))
			}
		}
	}
	sel := metav1.ListOptions{LabelSelector: labels.SelectorFromSet(labels.Set{contract.LabelName: contract.ChartName}).String()}
	sas, err := f.client.CoreV1().ServiceAccounts(ns).List(ctx, sel)
	if err != nil && !apierrors.IsForbidden(err) {
		return fmt.Errorf("list ServiceAccounts in namespace %q: %w", ns, err)
	}
	if err == nil {
		for _, x := range sas.Items {
			mineOrOther(KindServiceAccount, x.ObjectMeta)
		}
	}
	pvcs, err := f.client.CoreV1().PersistentVolumeClaims(ns).List(ctx, sel)
	if err != nil && !apierrors.IsForbidden(err) {
		return fmt.Errorf("list PersistentVolumeClaims in namespace %q: %w", ns, err)
	}
	if err == nil {
		for _, x := range pvcs.Items {
			mineOrOther(KindClaim, x.ObjectMeta)
		}
	}
	// The release's own Secrets only (by its instance label): names, for references.
	mine := metav1.ListOptions{LabelSelector: labels.SelectorFromSet(labels.Set{contract.LabelName: contract.ChartName, contract.LabelInstance: rel}).String()}
	secrets, err := f.client.CoreV1().Secrets(ns).List(ctx, mine)
	if err != nil && !apierrors.IsForbidden(err) {
		return fmt.Errorf("list the Secrets of release %q in namespace %q: %w", rel, ns, err)
	}
	if err == nil {
		for _, x := range secrets.Items {
			o.Refs.Add(KindSecret, x.Name)
		}
	}
	for k := range o.Refs {
		delete(f.otherRefs, k)
	}
	return nil
}

// masterLabelsFromCluster reads mr3.k8s.master.pod.additional.labels from the conf ConfigMap,
// else the `mr3` Service's selector.
func (f *finder) masterLabelsFromCluster(ctx context.Context) (map[string]string, string) {
	ns, rel := f.q.Namespace, f.q.Release
	for _, cm := range f.configMaps {
		if cm.Labels[contract.LabelInstance] != rel || cm.Labels[contract.LabelComponent] != contract.ComponentConf {
			if cm.Name != contract.ConfName(f.o.Fullname) {
				continue
			}
		}
		// An unreadable file is reported once, by liveRefs, which reads the same ConfigMap.
		if l, err := MasterLabels([]byte(cm.Data[contract.FileMR3Site])); err == nil && len(l) > 0 {
			return l, "ConfigMap " + cm.Name
		}
	}
	svcs, err := f.client.CoreV1().Services(ns).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(labels.Set{contract.LabelInstance: rel, contract.LabelComponent: contract.ComponentAMService}).String()})
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
	pods, err := f.client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: contract.LabelPodRole})
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

// uses says whether spec uses one of the release's objects (mine, with the tie for notes) or
// one of another release's (other, that release's name).
func (f *finder) uses(spec *corev1.PodSpec) (mine, other string) {
	for _, k := range PodSpecRefs(spec) {
		if f.o.Refs[k] {
			return k, ""
		}
		if r, ok := f.otherRefs[k]; ok && other == "" {
			other = r
		}
	}
	return "", other
}

// MasterLabels reads mr3.k8s.master.pod.additional.labels from an mr3-site.xml with
// plugin/mr3conf's strict parsers, as check reads it: nil when the key is absent or empty; err
// when the file or the value cannot be read.
func MasterLabels(site []byte) (map[string]string, error) {
	l, _, err := readSite(site)
	return l, err
}

// readSite reads what mr3runtime needs from a release's mr3-site.xml: the DAGAppMaster's labels
// and the objects MR3 mounts (SiteRefs). A file that cannot be parsed gives neither; a label
// list that cannot be parsed gives the refs and the error.
func readSite(data []byte) (map[string]string, Refs, error) {
	s, err := mr3conf.ParseSite(contract.FileMR3Site, data)
	if err != nil {
		return nil, nil, err
	}
	refs := Refs{}
	for key, kind := range siteRefKeys {
		if v, ok := s.Get(key); ok {
			refs.Add(kind, v)
		}
	}
	v, _ := s.Get(contract.SiteMasterLabels)
	l, err := mr3conf.ParseLabels(v)
	if err != nil {
		return nil, refs, fmt.Errorf("%s %s=%q: %w", contract.FileMR3Site, contract.SiteMasterLabels, v, err)
	}
	if len(l) == 0 {
		return nil, refs, nil
	}
	return mr3conf.LabelMap(l), refs, nil
}

// siteProblem explains, for Objects.Problems, what a broken mr3-site.xml in where costs: status
// and teardown still work, with less to go on.
func siteProblem(where string, err error) string {
	return fmt.Sprintf("%s: %v (MR3's objects were looked for without what it says; 'helm sparkmr3 check' names the problem in the release's values, 'helm sparkmr3 upgrade' fixes it)", where, err)
}

func applicationOrUnknown(ts string) string {
	if ts == "" {
		return "an unknown timestamp"
	}
	return "application_" + ts + "_0000"
}

func hasPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func uniq(xs ...string) []string {
	var out []string
	seen := map[string]bool{}
	for _, x := range xs {
		if x != "" && !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
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

func boolSet(m map[string]string) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
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
