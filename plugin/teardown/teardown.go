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
	"strings"
	"sync"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/release"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/clock"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"github.com/spark-mr3/spark-mr3/plugin/mr3runtime"
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
