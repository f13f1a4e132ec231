// Package release installs and upgrades a spark-mr3 release through helm's pkg/action,
// in-process: it settles the shared token (generated once, kept on every upgrade, changed
// only on request), runs the post-renderer (overlays and consistency rules), waits for the
// rollout through a caller-supplied function, and rolls back what it applied when any step
// fails, so nothing is left half-applied.
package release

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/postrender"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage/driver"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/spark-mr3/spark-mr3/plugin/token"
)

// ChartName is the name of the chart this plugin manages.
const ChartName = "spark-mr3"

// Options are the inputs of Install and Upgrade.
type Options struct {
	Release   string
	Namespace string
	Chart     *chart.Chart
	// Values are the user's merged values (-f, --set, …).
	Values map[string]any
	// ReuseValues and ResetValues mirror helm upgrade's flags.
	ReuseValues, ResetValues bool
	CreateNamespace          bool
	DryRun                   bool
	// Atomic rolls back (upgrade) or uninstalls (install) when applying or waiting fails.
	Atomic      bool
	Timeout     time.Duration
	RotateToken bool
	// PostRenderer runs on the rendered manifests (overlays + consistency rules); may be nil.
	PostRenderer postrender.PostRenderer
	// Wait, when set, waits for the rollout after the release is applied.
	Wait func(ctx context.Context) error
	// Rand is the random source for new tokens (crypto/rand when nil).
	Rand io.Reader
	// Warn receives warnings (e.g. which drivers stop sharing on --rotate-token).
	Warn io.Writer
}

// Result says what was applied.
type Result struct {
	Release *release.Release
	Token   token.Token
	// TokenSource is "generated", "pinned", "kept" or "rotated".
	TokenSource string
}

func (o *Options) warnf(format string, a ...any) {
	if o.Warn != nil {
		fmt.Fprintf(o.Warn, "WARNING: "+format+"\n", a...)
	}
}

func (o *Options) validate() error {
	if o.Release == "" {
		return errors.New("release name is required")
	}
	if errs := validateReleaseName(o.Release); errs != "" {
		return fmt.Errorf("release name %q: %s", o.Release, errs)
	}
	if o.Chart == nil {
		return errors.New("no chart loaded")
	}
	if o.Chart.Name() != ChartName {
		return fmt.Errorf("chart %q is not the %s chart: this plugin manages only %s releases", o.Chart.Name(), ChartName, ChartName)
	}
	return nil
}

func validateReleaseName(name string) string {
	if len(name) > 53 {
		return "longer than 53 characters"
	}
	if err := chartutil.ValidateReleaseName(name); err != nil {
		return "must be a lower-case DNS-1123 name (letters, digits, '-')"
	}
	return ""
}

// withToken returns a copy of vals that pins t.
func withToken(vals map[string]any, t token.Token) map[string]any {
	out := make(map[string]any, len(vals)+1)
	for k, v := range vals {
		out[k] = v
	}
	out["token"] = t.Values()["token"]
	return out
}

// Install installs a new release with a new token (or the one pinned in values).
func Install(ctx context.Context, cfg *action.Configuration, client kubernetes.Interface, o Options) (*Result, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	if _, err := cfg.Releases.Last(o.Release); err == nil {
		return nil, fmt.Errorf("release %q already exists in namespace %q: use 'helm sparkmr3 upgrade %s'", o.Release, o.Namespace, o.Release)
	} else if !errors.Is(err, driver.ErrReleaseNotFound) {
		return nil, fmt.Errorf("read releases in namespace %q: %w", o.Namespace, err)
	}
	tok, pinned, err := token.FromValues(o.Values)
	if err != nil {
		return nil, err
	}
	res := &Result{Token: tok, TokenSource: "pinned"}
	if !pinned {
		if res.Token, err = token.Generate(o.Rand); err != nil {
			return nil, err
		}
		res.TokenSource = "generated"
	}
	in := action.NewInstall(cfg)
	in.ReleaseName = o.Release
	in.Namespace = o.Namespace
	in.CreateNamespace = o.CreateNamespace
	in.Timeout = o.Timeout
	in.PostRenderer = o.PostRenderer
	if o.DryRun {
		in.DryRun, in.DryRunOption = true, "server"
	}
	rel, err := in.RunWithContext(ctx, o.Chart, withToken(o.Values, res.Token))
	res.Release = rel
	if err == nil && !o.DryRun && o.Wait != nil {
		err = o.Wait(ctx)
	}
	if err != nil && !o.DryRun && o.Atomic && rel != nil {
		if uerr := uninstall(cfg, o); uerr != nil {
			return res, fmt.Errorf("%w; and the atomic clean-up failed too: %v (remove it with 'helm sparkmr3 teardown %s')", err, uerr, o.Release)
		}
		return res, fmt.Errorf("%w; --atomic: release %q was uninstalled again", err, o.Release)
	}
	return res, err
}

func uninstall(cfg *action.Configuration, o Options) error {
	return bounded(o.Timeout, func() error {
		u := action.NewUninstall(cfg)
		u.Wait = true
		u.Timeout = o.Timeout
		_, err := u.Run(o.Release)
		return err
	})
}

// bounded runs an atomic clean-up (helm's uninstall or rollback, which take no context) and
// gives up after the timeout plus a grace period: with etcd or the API server down, each of
// their requests can hang for minutes, and the user must get the "remove it with teardown"
// message instead of a command that never returns. The abandoned call ends with the process.
func bounded(timeout time.Duration, fn func() error) error {
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	return boundedFor(timeout+15*time.Second, fn)
}

func boundedFor(limit time.Duration, fn func() error) error {
	done := make(chan error, 1)
	go func() { done <- fn() }()
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case err := <-done:
		return err
	case <-timer.C:
		return fmt.Errorf("no answer from the cluster within %s (is the API server or etcd down?)", limit)
	}
}

// Upgrade upgrades a release, keeping its token unless RotateToken is set.
func Upgrade(ctx context.Context, cfg *action.Configuration, client kubernetes.Interface, o Options) (*Result, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	last, err := cfg.Releases.Last(o.Release)
	if errors.Is(err, driver.ErrReleaseNotFound) {
		return nil, fmt.Errorf("release %q not found in namespace %q: install it with 'helm sparkmr3 install %s', or pass the right -n NAMESPACE", o.Release, o.Namespace, o.Release)
	}
	if err != nil {
		return nil, fmt.Errorf("read release %q in namespace %q: %w", o.Release, o.Namespace, err)
	}
	if last.Chart != nil && last.Chart.Metadata != nil && last.Chart.Metadata.Name != ChartName {
		return nil, fmt.Errorf("release %q in namespace %q was made from chart %q, not %s: this plugin only upgrades %s releases", o.Release, o.Namespace, last.Chart.Metadata.Name, ChartName, ChartName)
	}
	res, err := settleUpgradeToken(ctx, client, o, last)
	if err != nil {
		return nil, err
	}
	up := action.NewUpgrade(cfg)
	up.Namespace = o.Namespace
	up.Timeout = o.Timeout
	up.ReuseValues = o.ReuseValues
	up.ResetValues = o.ResetValues
	up.PostRenderer = o.PostRenderer
	up.MaxHistory = 10
	if o.DryRun {
		up.DryRun, up.DryRunOption = true, "server"
	}
	rel, err := up.RunWithContext(ctx, o.Release, o.Chart, withToken(o.Values, res.Token))
	res.Release = rel
	if err == nil && !o.DryRun && res.TokenSource == "rotated" {
		// The driver Pods read the token from the Secret at start: restart them so they
		// pick up the new one (their StatefulSets recreate them).
		err = client.CoreV1().Pods(o.Namespace).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{
			LabelSelector: "app.kubernetes.io/instance=" + o.Release + ",app.kubernetes.io/component=driver",
		})
		if err != nil {
			err = fmt.Errorf("restart the driver Pods of %q with the new token: %w", o.Release, err)
		}
	}
	if err == nil && !o.DryRun && o.Wait != nil {
		err = o.Wait(ctx)
	}
	if err != nil && !o.DryRun && o.Atomic && (rel != nil || !errors.Is(err, context.Canceled)) {
		rb := action.NewRollback(cfg)
		rb.Version = last.Version
		rb.Wait = false
		rb.Timeout = o.Timeout
		if rerr := bounded(o.Timeout, func() error { return rb.Run(o.Release) }); rerr != nil {
			return res, fmt.Errorf("%w; and the atomic rollback to revision %d failed too: %v", err, last.Version, rerr)
		}
		return res, fmt.Errorf("%w; --atomic: rolled back to revision %d", err, last.Version)
	}
	return res, err
}

// settleUpgradeToken decides the token of an upgrade: the release's Secret unless rotation
// is asked for; a pinned value that differs from the Secret is refused.
func settleUpgradeToken(ctx context.Context, client kubernetes.Interface, o Options, last *release.Release) (*Result, error) {
	existing, found, err := token.FindForRelease(ctx, client, o.Namespace, o.Release)
	if err != nil {
		return nil, err
	}
	pinnedVals := o.Values
	if o.ReuseValues && last.Config != nil {
		if _, pinnedNow, _ := token.FromValues(o.Values); !pinnedNow {
			pinnedVals = last.Config
		}
	}
	pinned, isPinned, err := token.FromValues(pinnedVals)
	if err != nil {
		return nil, err
	}
	switch {
	case o.RotateToken:
		t, err := token.Generate(o.Rand)
		if err != nil {
			return nil, err
		}
		if isPinned {
			t = pinned
		}
		drivers := driverNames(ctx, client, o.Namespace, o.Release)
		o.warnf("--rotate-token: drivers %v restart with the new token and start a new DAGAppMaster (%s); drivers outside Kubernetes still hold the old one and stop sharing until they run 'helm sparkmr3 env %s' again; the old DAGAppMaster (%s) keeps running until teardown", drivers, t.ApplicationID(), o.Release, existing.ApplicationID())
		return &Result{Token: t, TokenSource: "rotated"}, nil
	case found && isPinned && pinned != existing:
		return nil, fmt.Errorf("values pin token.clientToAMTokenKey/applicationIdTimestamp that differ from the release's Secret (timestamp %d vs %d): drivers would stop sharing the DAGAppMaster; drop the pinned values to keep the release's token, or add --rotate-token to change it on purpose", pinned.Timestamp, existing.Timestamp)
	case found:
		return &Result{Token: existing, TokenSource: "kept"}, nil
	case isPinned:
		return &Result{Token: pinned, TokenSource: "pinned"}, nil
	default:
		return nil, fmt.Errorf("release %q has no token Secret in namespace %q (deleted by hand?): pin the old token with --set token.clientToAMTokenKey=… --set token.applicationIdTimestamp=…, or pass --rotate-token to make a new one", o.Release, o.Namespace)
	}
}

func driverNames(ctx context.Context, client kubernetes.Interface, ns, rel string) []string {
	list, err := client.AppsV1().StatefulSets(ns).List(ctx, metav1.ListOptions{
		LabelSelector: "app.kubernetes.io/instance=" + rel + ",app.kubernetes.io/component=driver",
	})
	if err != nil {
		return nil
	}
	names := make([]string, 0, len(list.Items))
	for _, s := range list.Items {
		names = append(names, s.Name)
	}
	return names
}
