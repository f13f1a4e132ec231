package teardown

// The plan: what teardown finds of a release (Helm's record, MR3's objects, drivers, claims,
// cluster-scoped objects) before it deletes anything.

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/storage/driver"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"github.com/spark-mr3/spark-mr3/plugin/mr3runtime"
)

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
		if entry := c.Labels[contract.LabelDriver]; entry != "" {
			d = entry
		}
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
