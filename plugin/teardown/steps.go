package teardown

// The steps of Run, in order: the DAGAppMaster and its workers, the drivers, MR3's shared
// objects, Helm's uninstall and the claims, the cluster-scoped objects.

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/storage/driver"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"github.com/spark-mr3/spark-mr3/plugin/mr3runtime"
	"github.com/spark-mr3/spark-mr3/plugin/token"
)

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

// deletePods deletes the named Pods with one DeleteCollection per selector that is exact for
// them, and the rest one by one, concurrently. The selectors, in order: mr3-pod-role=
// container-role plus the field selector spec.serviceAccountName=<SA> for each of the release's
// own ServiceAccounts its workers run as (another release's workers run as another account),
// then mr3-pod-role=container-role alone when no MR3 object in the namespace is left
// unattributed. A selector is used only when everything it lists right now is one of names, so
// the number of requests does not grow with the number of workers.
func (r *run) deletePods(ctx context.Context, o *mr3runtime.Objects, names []string, opts metav1.DeleteOptions) error {
	pods := r.Client.CoreV1().Pods(r.Namespace)
	mine := map[string]bool{}
	for _, n := range names {
		mine[n] = true
	}
	role := labels.SelectorFromSet(labels.Set{contract.LabelPodRole: contract.RoleContainer}).String()
	var sels []metav1.ListOptions
	for _, sa := range workerAccounts(o, mine) {
		sels = append(sels, metav1.ListOptions{LabelSelector: role,
			FieldSelector: fields.OneTermEqualSelector("spec.serviceAccountName", sa).String()})
	}
	if len(o.Unattributed) == 0 {
		sels = append(sels, metav1.ListOptions{LabelSelector: role})
	}
	for _, sel := range sels {
		if len(mine) == 0 {
			break
		}
		all, err := pods.List(ctx, sel)
		if err != nil {
			return fmt.Errorf("list ContainerWorker pods (%s): %w", describeSelector(sel), err)
		}
		exact := len(all.Items) > 0
		for _, p := range all.Items {
			if !mine[p.Name] {
				exact = false
				break
			}
		}
		if !exact {
			continue
		}
		if err := pods.DeleteCollection(ctx, opts, sel); err != nil {
			return fmt.Errorf("delete ContainerWorker pods (%s): %w", describeSelector(sel), err)
		}
		for _, p := range all.Items {
			delete(mine, p.Name)
		}
	}
	var rest []string
	for _, n := range names {
		if mine[n] {
			rest = append(rest, n)
		}
	}
	return forEach(ctx, rest, func(ctx context.Context, n string) error {
		return ignoreNotFound(pods.Delete(ctx, n, opts))
	})
}

// workerAccounts are the ServiceAccounts that the named worker Pods run as and that are the
// release's own (its Refs), sorted. "default" and accounts the release does not own are left
// out: other workloads may run as them.
func workerAccounts(o *mr3runtime.Objects, names map[string]bool) []string {
	set := map[string]bool{}
	for _, p := range o.WorkerPods {
		sa := p.Spec.ServiceAccountName
		if names[p.Name] && sa != "" && sa != "default" && o.Refs.Has(mr3runtime.KindServiceAccount, sa) {
			set[sa] = true
		}
	}
	out := make([]string, 0, len(set))
	for sa := range set {
		out = append(out, sa)
	}
	sort.Strings(out)
	return out
}

func describeSelector(lo metav1.ListOptions) string {
	if lo.FieldSelector == "" {
		return lo.LabelSelector
	}
	return lo.LabelSelector + "," + lo.FieldSelector
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
		podNames = append(podNames, contract.DriverPodName(s))
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
