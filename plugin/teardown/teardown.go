// Package teardown removes a spark-mr3 release and everything MR3 created for it at run time,
// in the order of docs/DESIGN.md:
//
//  1. delete the DAGAppMaster Deployment and give the DAGAppMaster WorkerTimeout to remove its
//     ContainerWorker Pods; then force-delete (grace 0) whatever of the AM and its workers is
//     left — while the release's ServiceAccounts and Roles still exist, so the AM can work;
//  2. delete the driver StatefulSets, their Pods and Services (then look again for an AM a
//     driver may have re-created, and repeat step 1 for it);
//  3. delete the MR3-made ConfigMaps and Services (mr3runtime decides which are the release's);
//  4. uninstall the Helm release with action.Uninstall, waiting (by watch) for its objects;
//  5. delete the release's cluster-scoped leftovers (ClusterRoles, ClusterRoleBindings) and,
//     unless KeepData, its PersistentVolume and PersistentVolumeClaim.
//
// Every step ignores objects that are already gone, so an interrupted teardown completes when
// run again. Deletions within a step run concurrently or as one DeleteCollection by label
// where the label set is the release's own.
package teardown

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage/driver"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/clock"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"github.com/spark-mr3/spark-mr3/plugin/mr3runtime"
	"github.com/spark-mr3/spark-mr3/plugin/token"
)

// Helm's ownership annotations, set on every object a release creates.
const (
	annoReleaseName      = "meta.helm.sh/release-name"
	annoReleaseNamespace = "meta.helm.sh/release-namespace"
)

// Defaults for Options.
const (
	DefaultTimeout       = 5 * time.Minute
	DefaultWorkerTimeout = 60 * time.Second
)

// ErrNothingToTearDown is returned (wrapped) when neither the release nor anything of it exists.
var ErrNothingToTearDown = errors.New("nothing to tear down")

// ErrNotConfirmed is returned when Confirm declined.
var ErrNotConfirmed = errors.New("teardown not confirmed")

// Options configure one teardown.
type Options struct {
	Namespace string
	Release   string
	// KeepData keeps the release's PersistentVolumeClaim and PersistentVolume.
	KeepData bool
	// Timeout bounds the whole teardown.
	Timeout time.Duration
	// WorkerTimeout is how long the DAGAppMaster gets to remove its ContainerWorker Pods after
	// its Deployment is deleted, before they are force-deleted with grace period 0.
	WorkerTimeout time.Duration

	Client kubernetes.Interface
	// Helm is helm's action configuration for Namespace (release storage and KubeClient).
	Helm  *action.Configuration
	Clock clock.Clock
	// Out receives progress lines; nil discards them.
	Out io.Writer
	// Confirm, when set, is shown the plan and must return true for anything to be deleted.
	Confirm func(*Plan) (bool, error)
	// DryRun stops after the plan: Run returns it and deletes nothing.
	DryRun bool
}

// Plan is what teardown found and will remove.
type Plan struct {
	Namespace string
	Release   string
	// Revision is the release's last revision, 0 when Helm has no record of it.
	Revision int
	// Status is the release's Helm status, "" when Helm has no record of it.
	Status string
	MR3    *mr3runtime.Objects
	// Drivers are the driver StatefulSets, DriverPods and DriverServices (by name).
	Drivers, DriverPods, DriverServices []string
	// ClusterScoped are the release's cluster-scoped objects (except PVs) as kind/name.
	ClusterScoped []string
	// Data are the claims and PVs whose deletion can lose data, as "kind/name (what happens
	// to the data, with the reclaim policy)".
	Data []string
	// Kept are the same, kept because of KeepData.
	Kept []string
	// TokenSecret is the token Secret the plugin keeps outside Helm's record (F-mr3-token),
	// "" when there is none; Helm's uninstall does not know it, teardown deletes it.
	TokenSecret string
	// LeftAlone are objects labelled as the release's that it does not own, as
	// "kind/name: why" (another namespace's binding or volume, another Helm release's object).
	LeftAlone []string
}

// Summary is the plan as lines for a confirmation prompt.
func (p *Plan) Summary() string {
	var b strings.Builder
	if p.Revision > 0 {
		fmt.Fprintf(&b, "Release %q in namespace %q (revision %d, %s) will be uninstalled.\n", p.Release, p.Namespace, p.Revision, p.Status)
	} else {
		fmt.Fprintf(&b, "Release %q is not installed in namespace %q; removing what is left of it.\n", p.Release, p.Namespace)
	}
	list := func(title string, items []string) {
		if len(items) > 0 {
			fmt.Fprintf(&b, "%s:\n", title)
			for _, it := range items {
				fmt.Fprintf(&b, "  %s\n", it)
			}
		}
	}
	if p.MR3 != nil {
		list("Created by MR3 at run time", p.MR3.Names())
	}
	var drv []string
	for _, d := range p.Drivers {
		drv = append(drv, "statefulset/"+d)
	}
	for _, d := range p.DriverServices {
		drv = append(drv, "service/"+d)
	}
	list("Drivers", drv)
	if p.TokenSecret != "" {
		list("Token Secret (kept by the plugin, not by Helm)", []string{"secret/" + p.TokenSecret})
	}
	list("Cluster-scoped", p.ClusterScoped)
	list("Data that will be deleted (keep it with --keep-data)", p.Data)
	list("Kept (--keep-data)", p.Kept)
	un := append([]string{}, p.LeftAlone...)
	if p.MR3 != nil {
		for _, u := range p.MR3.Unattributed {
			un = append(un, fmt.Sprintf("%s/%s: %s", strings.ToLower(u.Kind), u.Name, u.Reason))
		}
	}
	list("Left alone (not tied to this release)", un)
	if p.MR3 != nil {
		list("Problems (teardown goes on without what they hide)", p.MR3.Problems)
	}
	return b.String()
}

// Result reports what Run did.
type Result struct {
	Plan *Plan
	// Uninstalled is true when a Helm release record was removed.
	Uninstalled bool
	// ForcedPods are Pods deleted with grace period 0 after WorkerTimeout.
	ForcedPods []string
	// Recreated counts DAGAppMaster Deployments found again after the drivers were deleted.
	Recreated int
}

// Validate rejects incomplete options.
func (o *Options) Validate() error {
	switch {
	case o.Release == "":
		return errors.New("a release name is required")
	case o.Namespace == "":
		return errors.New("a namespace is required")
	case o.Client == nil || o.Helm == nil:
		return errors.New("teardown needs a Kubernetes client and a helm action configuration")
	}
	return nil
}

func (o *Options) defaults() {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.WorkerTimeout <= 0 {
		o.WorkerTimeout = DefaultWorkerTimeout
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
}

type run struct {
	*Options
	res  *Result
	rel  *release.Release
	hint mr3runtime.Query
	// drivers are the release's driver objects found by plan.
	drivers driverObjects
	// clusterNames are the exact names the release's cluster-scoped objects may have.
	clusterNames clusterNames
	// clusterLeft are cluster-scoped objects labelled as the release's but not its own.
	clusterLeft []string
	// tokenFullname is F of the plugin's token Secret F-mr3-token when it exists.
	tokenFullname string
}

// Run tears the release down. It returns ErrNothingToTearDown (wrapped) when neither a Helm
// record nor any object of the release exists, and ErrNotConfirmed when Confirm declines.
func (o *Options) Run(ctx context.Context) (*Result, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	o.defaults()
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	r := &run{Options: o, res: &Result{}}

	plan, err := r.plan(ctx)
	if err != nil {
		return nil, err
	}
	r.res.Plan = plan
	if plan.Revision == 0 && plan.MR3.Empty() && len(plan.Drivers)+len(plan.DriverPods)+len(plan.DriverServices)+len(plan.ClusterScoped)+len(plan.Data)+len(plan.Kept) == 0 && !r.hasClaims(ctx) {
		return nil, fmt.Errorf("release %q not found in namespace %q and nothing of it is left: %w", o.Release, o.Namespace, ErrNothingToTearDown)
	}
	if o.DryRun {
		return r.res, nil
	}
	if o.Confirm != nil {
		ok, err := o.Confirm(plan)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, ErrNotConfirmed
		}
	}
	if o.Confirm == nil && plan.MR3 != nil { // else the plan shown to Confirm names them
		for _, p := range plan.MR3.Problems {
			r.say("warning: %s", p)
		}
	}
	if plan.Revision == 0 {
		r.say("release %q has no Helm record in namespace %q; cleaning up what is left of it", o.Release, o.Namespace)
	}

	if err := r.stopAM(ctx, plan.MR3); err != nil {
		return r.res, err
	}
	if err := r.deleteDrivers(ctx); err != nil {
		return r.res, err
	}
	// A driver that was still running may have started a new DAGAppMaster meanwhile.
	again, err := mr3runtime.FindQuery(ctx, o.Client, r.hint)
	if err != nil {
		return r.res, err
	}
	if len(again.AMDeployments)+len(again.AMPods)+len(again.WorkerPods) > 0 {
		r.res.Recreated = len(again.AMDeployments)
		if err := r.stopAM(ctx, again); err != nil {
			return r.res, err
		}
	}
	if err := r.deleteMR3Objects(ctx, again); err != nil {
		return r.res, err
	}
	if err := r.uninstall(ctx); err != nil {
		return r.res, err
	}
	if err := r.deleteClusterScoped(ctx); err != nil {
		return r.res, err
	}
	if len(plan.Kept) > 0 {
		r.say("kept (--keep-data): %s", strings.Join(plan.Kept, ", "))
	}
	return r.res, nil
}

func (r *run) say(format string, a ...any) { fmt.Fprintf(r.Out, format+"\n", a...) }

// releaseSelector selects by the release's instance label and the chart's name label (and a
// component); ownership (Helm's annotations, controllers) is checked on what it lists.
func (r *run) releaseSelector(component string) string {
	set := labels.Set{contract.LabelInstance: r.Release, contract.LabelName: contract.ChartName}
	if component != "" {
		set[contract.LabelComponent] = component
	}
	return labels.SelectorFromSet(set).String()
}

func (r *run) plan(ctx context.Context) (*Plan, error) {
	p := &Plan{Namespace: r.Namespace, Release: r.Release}
	r.hint = mr3runtime.Query{Namespace: r.Namespace, Release: r.Release}
	hist, err := r.Helm.Releases.History(r.Release)
	if err != nil && !errors.Is(err, driver.ErrReleaseNotFound) {
		return nil, fmt.Errorf("read the Helm history of release %q in namespace %q: %w", r.Release, r.Namespace, err)
	}
	for _, h := range hist {
		if r.rel == nil || h.Version > r.rel.Version {
			r.rel = h
		}
	}
	if r.rel != nil {
		p.Revision, p.Status = r.rel.Version, r.rel.Info.Status.String()
		// Every revision's timestamp and objects: after a token change the DAGAppMaster of an
		// earlier timestamp is still the release's.
		r.hint = mr3runtime.HintsFromHistory(r.Namespace, r.Release, hist)
	}
	if p.MR3, err = mr3runtime.FindQuery(ctx, r.Client, r.hint); err != nil {
		return nil, err
	}
	// Remember what was learnt, for the second look after the drivers are gone (by then the
	// token Secret may be the only place that named the timestamp).
	r.hint.Timestamp, r.hint.Fullname, r.hint.MasterLabels = p.MR3.Timestamp, p.MR3.Fullname, p.MR3.MasterLabels
	r.hint.PastTimestamps, r.hint.Refs = p.MR3.Timestamps, p.MR3.Refs

	sel := metav1.ListOptions{LabelSelector: r.releaseSelector(contract.ComponentDriver)}
	sts, err := r.Client.AppsV1().StatefulSets(r.Namespace).List(ctx, sel)
	if err != nil {
		return nil, fmt.Errorf("list driver StatefulSets: %w", err)
	}
	pods, err := r.Client.CoreV1().Pods(r.Namespace).List(ctx, sel)
	if err != nil {
		return nil, fmt.Errorf("list driver Pods: %w", err)
	}
	svcs, err := r.Client.CoreV1().Services(r.Namespace).List(ctx, sel)
	if err != nil {
		return nil, fmt.Errorf("list driver Services: %w", err)
	}
	// The plugin's token Secret (by its exact name and its labels, one that it made).
	for _, f := range uniqStrings(p.MR3.Fullname, r.Release) {
		s, err := r.Client.CoreV1().Secrets(r.Namespace).Get(ctx, contract.PluginTokenName(f), metav1.GetOptions{})
		if err == nil && s.Labels[contract.LabelManagedBy] == contract.ManagedByPlugin && s.Labels[contract.LabelInstance] == r.Release {
			p.TokenSecret, r.tokenFullname = s.Name, f
			break
		} else if err != nil && !apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("read the token Secret %s/%s: %w", r.Namespace, contract.PluginTokenName(f), err)
		}
	}
	var left []string
	r.drivers, left = r.driverObjects(sts.Items, pods.Items, svcs.Items)
	p.Drivers, p.DriverPods, p.DriverServices = r.drivers.sts, r.drivers.pods, r.drivers.svcs
	p.LeftAlone = append(p.LeftAlone, left...)

	r.clusterNames = manifestClusterNames(hist)
	for _, f := range []string{p.MR3.Fullname, r.Release} {
		for k := range chartClusterNames(r.Namespace, f) {
			r.clusterNames[k] = true
		}
	}
	cs, err := r.clusterScoped(ctx)
	if err != nil {
		return nil, err
	}
	p.LeftAlone = append(p.LeftAlone, r.clusterLeft...)
	claims, err := r.claims(ctx)
	if err != nil {
		return nil, err
	}
	pvs := map[string]*corev1.PersistentVolume{}
	for _, c := range cs {
		if c.pv != nil {
			pvs[c.name] = c.pv
		}
	}
	for i := range claims {
		c := &claims[i]
		if r.KeepData {
			p.Kept = append(p.Kept, "persistentvolumeclaim/"+c.Name)
		} else {
			p.Data = append(p.Data, "persistentvolumeclaim/"+c.Name+" ("+r.describeClaim(ctx, c, pvs)+")")
		}
	}
	for _, c := range cs {
		if c.kind != "persistentvolume" {
			p.ClusterScoped = append(p.ClusterScoped, c.kind+"/"+c.name)
			continue
		}
		if r.KeepData {
			p.Kept = append(p.Kept, c.kind+"/"+c.name)
		} else {
			p.Data = append(p.Data, c.kind+"/"+c.name+" ("+describePV(c.pv, true)+")")
		}
	}
	sort.Strings(p.Kept)
	sort.Strings(p.LeftAlone)
	return p, nil
}

// claims lists the release's PersistentVolumeClaims: the work-dir claim and the drivers'
// local-dir claims that their StatefulSets' volumeClaimTemplates made (localDirs.type
// persistentVolumeClaim; Helm does not know those, so helm uninstall leaves them).
func (r *run) claims(ctx context.Context) ([]corev1.PersistentVolumeClaim, error) {
	list, err := r.Client.CoreV1().PersistentVolumeClaims(r.Namespace).List(ctx, metav1.ListOptions{LabelSelector: r.dataSelector()})
	if err != nil {
		return nil, fmt.Errorf("list the PersistentVolumeClaims of release %q: %w", r.Release, err)
	}
	var out []corev1.PersistentVolumeClaim
	for _, c := range list.Items {
		if ok, _ := r.ownership(c.ObjectMeta); ok {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// dataSelector selects the release's claims: its instance and the chart's name label (the
// drivers' volumeClaimTemplates carry only those, a component and sparkmr3_app).
func (r *run) dataSelector() string { return r.releaseSelector("") }

// describeClaim says what deleting the claim does to its data. pvs are the release's own PVs.
func (r *run) describeClaim(ctx context.Context, c *corev1.PersistentVolumeClaim, pvs map[string]*corev1.PersistentVolume) string {
	what := "work dir"
	if d := c.Labels[contract.LabelApp]; d != "" && c.Labels[contract.LabelComponent] != contract.ComponentWorkdir {
		what = "local dir of driver " + d
	}
	if c.Spec.VolumeName == "" {
		return what + "; not bound to a volume: holds no data"
	}
	pv := pvs[c.Spec.VolumeName]
	if pv == nil {
		got, err := r.Client.CoreV1().PersistentVolumes().Get(ctx, c.Spec.VolumeName, metav1.GetOptions{})
		if err != nil {
			return what + "; bound to persistentvolume/" + c.Spec.VolumeName + " (reclaim policy unknown: " + err.Error() + ")"
		}
		pv = got
	}
	return what + "; bound to persistentvolume/" + pv.Name + ", " + describePV(pv, pvs[pv.Name] != nil)
}

// describePV says what happens to a PV's data; deleted says whether teardown deletes the PV
// object itself (the release's own PV) or only releases it (a provisioned or foreign PV).
func describePV(pv *corev1.PersistentVolume, deleted bool) string {
	if pv == nil {
		return "reclaim policy unknown"
	}
	policy := pv.Spec.PersistentVolumeReclaimPolicy
	if policy == "" {
		policy = corev1.PersistentVolumeReclaimRetain
	}
	src := pvSource(pv)
	switch {
	case deleted && policy == corev1.PersistentVolumeReclaimDelete:
		return "reclaim policy Delete: the volume" + src + " and its data are deleted where its provisioner can"
	case deleted:
		return "reclaim policy " + string(policy) + ": the PersistentVolume object is deleted; the storage" + src + " is not erased by Kubernetes"
	case policy == corev1.PersistentVolumeReclaimDelete:
		return "reclaim policy Delete: the volume" + src + " and its data are deleted with the claim"
	default:
		return "reclaim policy " + string(policy) + ": the volume" + src + " keeps its data after the claim goes"
	}
}

func pvSource(pv *corev1.PersistentVolume) string {
	s := pv.Spec.PersistentVolumeSource
	switch {
	case s.NFS != nil:
		return fmt.Sprintf(" (nfs %s:%s)", s.NFS.Server, s.NFS.Path)
	case s.HostPath != nil:
		return " (hostPath " + s.HostPath.Path + ")"
	case s.Local != nil:
		return " (local " + s.Local.Path + ")"
	case s.CSI != nil:
		return " (csi " + s.CSI.Driver + " " + s.CSI.VolumeHandle + ")"
	}
	return ""
}

func (r *run) hasClaims(ctx context.Context) bool {
	pvcs, err := r.claims(ctx)
	return err == nil && len(pvcs) > 0
}

// stopAM deletes the AM Deployments, gives the DAGAppMaster WorkerTimeout to remove its
// workers, then force-deletes the AM and worker Pods that are left and waits until all are gone.
func (r *run) stopAM(ctx context.Context, o *mr3runtime.Objects) error {
	if len(o.AMDeployments)+len(o.AMPods)+len(o.WorkerPods) == 0 {
		return nil
	}
	deps := r.Client.AppsV1().Deployments(r.Namespace)
	pods := r.Client.CoreV1().Pods(r.Namespace)
	var depNames, amPods, workers []string
	for _, d := range o.AMDeployments {
		depNames = append(depNames, d.Name)
	}
	for _, p := range o.AMPods {
		amPods = append(amPods, p.Name)
	}
	for _, p := range o.WorkerPods {
		workers = append(workers, p.Name)
	}
	if len(depNames) > 0 {
		r.say("deleting DAGAppMaster %s", strings.Join(prefixAll("deployment/", depNames), ", "))
	}
	// Foreground: the Deployment stays until its ReplicaSet and AM Pod are gone, so "the
	// Deployment is gone" means "the AM has stopped".
	fg := metav1.DeletePropagationForeground
	if err := forEach(ctx, depNames, func(ctx context.Context, n string) error {
		return ignoreNotFound(deps.Delete(ctx, n, metav1.DeleteOptions{PropagationPolicy: &fg}))
	}); err != nil {
		return fmt.Errorf("delete the DAGAppMaster Deployment: %w", err)
	}

	podsGone := func(names []string) gone {
		return gone{what: "pods", lw: lw(r.Client, pods, contract.LabelPodRole), obj: &corev1.Pod{}, match: byName(names)}
	}
	depsGone := gone{what: "DAGAppMaster deployments", lw: lw(r.Client, deps, ""), obj: &appsv1.Deployment{}, match: byName(depNames)}

	// Only a running DAGAppMaster stops gracefully and removes its workers; without one there
	// is nothing to wait for.
	if len(amPods) > 0 {
		r.say("waiting up to %s for the DAGAppMaster to stop and remove %d ContainerWorker pod(s)", r.WorkerTimeout, len(workers))
		wctx, cancel := context.WithCancel(ctx)
		timer := r.Clock.NewTimer(r.WorkerTimeout)
		go func() {
			select {
			case <-timer.C():
				cancel()
			case <-wctx.Done():
			}
		}()
		err := waitGone(wctx, depsGone, podsGone(append(append([]string{}, amPods...), workers...)))
		timer.Stop()
		cancel()
		if ctx.Err() != nil {
			return fmt.Errorf("stop the DAGAppMaster: %w", context.Cause(ctx))
		}
		if err == nil {
			return nil
		}
	}

	// Force whatever is left (grace period 0).
	left, err := r.presentPods(ctx, append(append([]string{}, amPods...), workers...))
	if err != nil {
		return err
	}
	if len(left) > 0 {
		r.say("force-deleting %d pod(s) (grace period 0): %s", len(left), strings.Join(left, ", "))
		r.res.ForcedPods = append(r.res.ForcedPods, left...)
		zero := int64(0)
		force := metav1.DeleteOptions{GracePeriodSeconds: &zero}
		if err := r.deletePods(ctx, o, left, force); err != nil {
			return err
		}
	}
	if err := waitGone(ctx, depsGone, podsGone(append(append([]string{}, amPods...), workers...))); err != nil {
		return fmt.Errorf("stop the DAGAppMaster: %w", err)
	}
	return nil
}

// deletePods deletes the named Pods. When every container-role Pod in the namespace is one of
// them it uses one DeleteCollection by label; otherwise (another MR3 application shares the
// namespace) it deletes them one by one, concurrently.
func (r *run) deletePods(ctx context.Context, o *mr3runtime.Objects, names []string, opts metav1.DeleteOptions) error {
	pods := r.Client.CoreV1().Pods(r.Namespace)
	all, err := pods.List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(labels.Set{contract.LabelPodRole: contract.RoleContainer}).String()})
	if err != nil {
		return fmt.Errorf("list ContainerWorker pods: %w", err)
	}
	mine := map[string]bool{}
	for _, n := range names {
		mine[n] = true
	}
	collection := len(all.Items) > 0 && len(o.Unattributed) == 0
	for _, p := range all.Items {
		if !mine[p.Name] {
			collection = false
		}
	}
	if collection {
		sel := metav1.ListOptions{LabelSelector: labels.SelectorFromSet(labels.Set{contract.LabelPodRole: contract.RoleContainer}).String()}
		if err := pods.DeleteCollection(ctx, opts, sel); err != nil {
			return fmt.Errorf("delete ContainerWorker pods: %w", err)
		}
		for _, p := range all.Items {
			delete(mine, p.Name)
		}
		names = names[:0]
		for n := range mine {
			names = append(names, n)
		}
	}
	return forEach(ctx, names, func(ctx context.Context, n string) error {
		return ignoreNotFound(pods.Delete(ctx, n, opts))
	})
}

func (r *run) presentPods(ctx context.Context, names []string) ([]string, error) {
	if len(names) == 0 {
		return nil, nil
	}
	list, err := r.Client.CoreV1().Pods(r.Namespace).List(ctx, metav1.ListOptions{LabelSelector: contract.LabelPodRole})
	if err != nil {
		return nil, fmt.Errorf("list pods: %w", err)
	}
	want := byName(names)
	var out []string
	for i := range list.Items {
		if want(&list.Items[i]) {
			out = append(out, list.Items[i].Name)
		}
	}
	sort.Strings(out)
	return out, nil
}

// deleteDrivers deletes the driver StatefulSets and their Pods with one DeleteCollection each
// (the selector is the release's instance label plus component=driver), and the driver
// Services concurrently, then waits until all are gone.
func (r *run) deleteDrivers(ctx context.Context) error {
	sel := r.releaseSelector(contract.ComponentDriver)
	lo := metav1.ListOptions{LabelSelector: sel}
	sts := r.Client.AppsV1().StatefulSets(r.Namespace)
	pods := r.Client.CoreV1().Pods(r.Namespace)
	svcs := r.Client.CoreV1().Services(r.Namespace)
	d := r.drivers
	if len(d.sts)+len(d.pods)+len(d.svcs) == 0 {
		return nil
	}
	r.say("deleting drivers: %s", strings.Join(append(prefixAll("statefulset/", d.sts), prefixAll("service/", d.svcs)...), ", "))
	// Background propagation, and the dependents deleted or waited for here: a foreground
	// deletion waits for the garbage collector's round trips object by object (StatefulSet →
	// ControllerRevisions and Pods, Service → EndpointSlices), which made this step 4.3 s of a
	// 9.7 s teardown of 10 drivers (docs/PERFORMANCE.md, P6). "Gone" still means all of it.
	// One DeleteCollection per kind when the selector lists only the release's own objects;
	// by name otherwise.
	del := func(names []string, collection func() error, one func(context.Context, string) error) error {
		if d.all {
			return collection()
		}
		return forEach(ctx, names, func(ctx context.Context, n string) error { return ignoreNotFound(one(ctx, n)) })
	}
	if err := del(d.sts, func() error { return sts.DeleteCollection(ctx, metav1.DeleteOptions{}, lo) },
		func(ctx context.Context, n string) error { return sts.Delete(ctx, n, metav1.DeleteOptions{}) }); err != nil {
		return fmt.Errorf("delete driver StatefulSets: %w", err)
	}
	// The StatefulSet controller would remove the Pods too; deleting them now saves a round
	// of garbage collection.
	if err := del(d.pods, func() error { return pods.DeleteCollection(ctx, metav1.DeleteOptions{}, lo) },
		func(ctx context.Context, n string) error { return pods.Delete(ctx, n, metav1.DeleteOptions{}) }); err != nil {
		return fmt.Errorf("delete driver Pods: %w", err)
	}
	if err := forEach(ctx, d.svcs, func(ctx context.Context, n string) error {
		return ignoreNotFound(svcs.Delete(ctx, n, metav1.DeleteOptions{}))
	}); err != nil {
		return fmt.Errorf("delete driver Services: %w", err)
	}
	// A Pod of a deleted StatefulSet that the controller had just re-created has another
	// name only if the StatefulSet was renamed; the Pods are matched by the release's names.
	podNames := append([]string{}, d.pods...)
	for _, s := range d.sts {
		podNames = append(podNames, s+"-0")
	}
	err := waitGone(ctx,
		gone{what: "driver statefulsets", lw: lw(r.Client, sts, sel), obj: &appsv1.StatefulSet{}, match: byName(d.sts)},
		gone{what: "driver pods", lw: lw(r.Client, pods, sel), obj: &corev1.Pod{}, match: byName(podNames)},
		gone{what: "driver services", lw: lw(r.Client, svcs, sel), obj: &corev1.Service{}, match: byName(d.svcs)},
	)
	if err != nil {
		return fmt.Errorf("delete drivers: %w", err)
	}
	// What the garbage collector and the EndpointSlice controller remove after them (they carry
	// the drivers' labels). Someone allowed to delete StatefulSets but not to list these does
	// not wait for them (a reflector would retry a refused list until the timeout).
	var after []gone
	revs := r.Client.AppsV1().ControllerRevisions(r.Namespace)
	if l, err := revs.List(ctx, lo); err == nil && len(l.Items) > 0 {
		after = append(after, gone{what: "driver controllerrevisions", lw: lw(r.Client, revs, sel), obj: &appsv1.ControllerRevision{}, match: matchAll})
	} else if err != nil && !apierrors.IsForbidden(err) {
		return fmt.Errorf("list driver ControllerRevisions: %w", err)
	}
	eps := r.Client.DiscoveryV1().EndpointSlices(r.Namespace)
	if l, err := eps.List(ctx, lo); err == nil && len(l.Items) > 0 {
		after = append(after, gone{what: "driver endpointslices", lw: lw(r.Client, eps, sel), obj: &discoveryv1.EndpointSlice{}, match: matchAll})
	} else if err != nil && !apierrors.IsForbidden(err) {
		return fmt.Errorf("list driver EndpointSlices: %w", err)
	}
	if len(after) > 0 {
		if err := waitGone(ctx, after...); err != nil {
			return fmt.Errorf("delete drivers: %w", err)
		}
	}
	return nil
}

// deleteMR3Objects deletes the MR3-made ConfigMaps and Services of the release.
func (r *run) deleteMR3Objects(ctx context.Context, o *mr3runtime.Objects) error {
	var cms, svcs []string
	for _, c := range o.ConfigMaps {
		cms = append(cms, c.Name)
	}
	for _, s := range o.Services {
		svcs = append(svcs, s.Name)
	}
	if len(cms)+len(svcs) == 0 {
		return nil
	}
	r.say("deleting MR3's %s", strings.Join(append(prefixAll("configmap/", cms), prefixAll("service/", svcs)...), ", "))
	cmc := r.Client.CoreV1().ConfigMaps(r.Namespace)
	svc := r.Client.CoreV1().Services(r.Namespace)
	type obj struct{ kind, name string }
	var all []obj
	for _, n := range cms {
		all = append(all, obj{"configmap", n})
	}
	for _, n := range svcs {
		all = append(all, obj{"service", n})
	}
	if err := forEach(ctx, all, func(ctx context.Context, x obj) error {
		if x.kind == "configmap" {
			return ignoreNotFound(cmc.Delete(ctx, x.name, metav1.DeleteOptions{}))
		}
		fg := metav1.DeletePropagationForeground
		return ignoreNotFound(svc.Delete(ctx, x.name, metav1.DeleteOptions{PropagationPolicy: &fg}))
	}); err != nil {
		return fmt.Errorf("delete MR3's ConfigMaps and Services: %w", err)
	}
	return waitGone(ctx,
		gone{what: "MR3 configmaps", lw: lw(r.Client, cmc, ""), obj: &corev1.ConfigMap{}, match: byName(cms)},
		gone{what: "MR3 services", lw: lw(r.Client, svc, ""), obj: &corev1.Service{}, match: byName(svcs)},
	)
}

// uninstall removes the Helm release (waiting for its objects by watch), then, unless data is
// kept, the release's claims that are left: the drivers' local-dir claims (made by their
// StatefulSets, unknown to Helm) and the work-dir claim if anything left it (no Helm record,
// or a keep policy).
func (r *run) uninstall(ctx context.Context) error {
	if err := r.helmUninstall(ctx); err != nil {
		return err
	}
	if r.tokenFullname != "" {
		r.say("deleting secret/%s", contract.PluginTokenName(r.tokenFullname))
		if err := token.Delete(ctx, r.Client, r.Namespace, r.Release, r.tokenFullname); err != nil {
			return err
		}
	}
	if r.KeepData {
		return nil
	}
	pvcs := r.Client.CoreV1().PersistentVolumeClaims(r.Namespace)
	sel := r.dataSelector()
	left, err := r.claims(ctx)
	if err != nil {
		return err
	}
	if len(left) == 0 {
		return nil
	}
	var names []string
	for _, c := range left {
		names = append(names, c.Name)
	}
	r.say("deleting %s", strings.Join(prefixAll("persistentvolumeclaim/", names), ", "))
	if err := forEach(ctx, names, func(ctx context.Context, n string) error {
		return ignoreNotFound(pvcs.Delete(ctx, n, metav1.DeleteOptions{}))
	}); err != nil {
		return fmt.Errorf("delete the PersistentVolumeClaims of release %q: %w", r.Release, err)
	}
	return waitGone(ctx, gone{what: "persistentvolumeclaims", lw: lw(r.Client, pvcs, sel), obj: &corev1.PersistentVolumeClaim{}, match: byName(names)})
}

func (r *run) helmUninstall(ctx context.Context) error {
	if r.rel == nil {
		return nil
	}
	r.say("uninstalling release %q (revision %d)", r.Release, r.rel.Version)
	cfg := *r.Helm
	kc := &uninstallClient{Interface: r.Helm.KubeClient, keepData: r.KeepData, ctx: ctx}
	cfg.KubeClient = kc
	u := action.NewUninstall(&cfg)
	u.Wait = true
	// Foreground: a StatefulSet or Service is gone only after its Pods, ControllerRevisions
	// and EndpointSlices, so "uninstall finished" means nothing of the release is left.
	u.DeletionPropagation = "foreground"
	u.Timeout = remaining(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := u.Run(r.Release)
		done <- err
	}()
	// action.Uninstall does not take a context; its waits end with ctx through kc.
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		return fmt.Errorf("uninstall release %q: %w", r.Release, context.Cause(ctx))
	}
	if err != nil && !errors.Is(err, driver.ErrReleaseNotFound) {
		return fmt.Errorf("uninstall release %q: %w", r.Release, err)
	}
	r.res.Uninstalled = true
	return nil
}

type clusterObj struct {
	kind, name string
	pv         *corev1.PersistentVolume
}

// clusterScoped lists the release's ClusterRoles, ClusterRoleBindings and PersistentVolumes
// (scope.go says which are its own); the refused ones go to r.clusterLeft.
func (r *run) clusterScoped(ctx context.Context) ([]clusterObj, error) {
	sel := metav1.ListOptions{LabelSelector: r.releaseSelector("")}
	crbs, err := r.Client.RbacV1().ClusterRoleBindings().List(ctx, sel)
	if err != nil {
		return nil, fmt.Errorf("list ClusterRoleBindings: %w", err)
	}
	crs, err := r.Client.RbacV1().ClusterRoles().List(ctx, sel)
	if err != nil {
		return nil, fmt.Errorf("list ClusterRoles: %w", err)
	}
	pvs, err := r.Client.CoreV1().PersistentVolumes().List(ctx, sel)
	if err != nil {
		return nil, fmt.Errorf("list PersistentVolumes: %w", err)
	}
	out, left := r.clusterOwned(crbs.Items, crs.Items, pvs.Items)
	r.clusterLeft = left
	return out, nil
}

// deleteClusterScoped removes what uninstall left of the release's cluster-scoped objects.
func (r *run) deleteClusterScoped(ctx context.Context) error {
	objs, err := r.clusterScoped(ctx)
	if err != nil {
		return err
	}
	var del []clusterObj
	var crb, cr, pv []string
	for _, o := range objs {
		switch o.kind {
		case "persistentvolume":
			if r.KeepData {
				continue
			}
			pv = append(pv, o.name)
		case "clusterrole":
			cr = append(cr, o.name)
		case "clusterrolebinding":
			crb = append(crb, o.name)
		}
		del = append(del, o)
	}
	if len(del) == 0 {
		return nil
	}
	rbac := r.Client.RbacV1()
	pvc := r.Client.CoreV1().PersistentVolumes()
	if err := forEach(ctx, del, func(ctx context.Context, o clusterObj) error {
		switch o.kind {
		case "clusterrolebinding":
			return ignoreNotFound(rbac.ClusterRoleBindings().Delete(ctx, o.name, metav1.DeleteOptions{}))
		case "clusterrole":
			return ignoreNotFound(rbac.ClusterRoles().Delete(ctx, o.name, metav1.DeleteOptions{}))
		default:
			return ignoreNotFound(pvc.Delete(ctx, o.name, metav1.DeleteOptions{}))
		}
	}); err != nil {
		return fmt.Errorf("delete cluster-scoped objects: %w", err)
	}
	sel := r.releaseSelector("")
	return waitGone(ctx,
		gone{what: "clusterrolebindings", lw: lw(r.Client, rbac.ClusterRoleBindings(), sel), obj: &rbacv1.ClusterRoleBinding{}, match: byName(crb)},
		gone{what: "clusterroles", lw: lw(r.Client, rbac.ClusterRoles(), sel), obj: &rbacv1.ClusterRole{}, match: byName(cr)},
		gone{what: "persistentvolumes", lw: lw(r.Client, pvc, sel), obj: &corev1.PersistentVolume{}, match: byName(pv)},
	)
}

// forEach runs fn for every item concurrently (at most 16 at a time) and joins the errors.
func forEach[T any](ctx context.Context, items []T, fn func(context.Context, T) error) error {
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	errs := make([]error, len(items))
	for i, it := range items {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			errs[i] = ctx.Err()
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = fn(ctx, it)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func ignoreNotFound(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

func prefixAll(p string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = p + n
	}
	return out
}

func remaining(ctx context.Context) time.Duration {
	if d, ok := ctx.Deadline(); ok {
		return time.Until(d)
	}
	return DefaultTimeout
}

func uniqStrings(a ...string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range a {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
