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
	"strconv"
	"strings"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/postrender"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage/driver"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/spark-mr3/spark-mr3/plugin/check/render"
	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"github.com/spark-mr3/spark-mr3/plugin/mr3runtime"
	"github.com/spark-mr3/spark-mr3/plugin/token"
)

// Options are the inputs of Install and Upgrade.
type Options struct {
	Release   string
	Namespace string
	Chart     *chart.Chart
	// Values are the user's merged values (-f, --set, …).
	Values map[string]any
	// ReuseValues, ResetValues and ResetThenReuseValues mirror helm upgrade's flags.
	ReuseValues, ResetValues, ResetThenReuseValues bool
	CreateNamespace                                bool
	// DryRun renders, post-renders and checks without changing anything (DryRunNone: apply).
	DryRun DryRun
	// Install makes Upgrade install the release when it does not exist yet (or only its
	// uninstalled history is left), as helm upgrade --install does.
	Install bool
	// Atomic rolls back (upgrade) or uninstalls (install) when applying or waiting fails
	// (helm 4's --rollback-on-failure, helm 3's --atomic).
	Atomic      bool
	Timeout     time.Duration
	RotateToken bool
	// Description is the release's description in helm history (helm's default when "").
	Description string
	// Labels are the release's own labels (helm's release metadata, not the objects'); on an
	// upgrade they are merged into the last revision's, "null" removes one.
	Labels map[string]string
	// MaxHistory limits the revisions an upgrade keeps (0: no limit).
	MaxHistory int
	// PostRenderer runs on the rendered manifests (overlays + consistency rules); may be nil.
	PostRenderer postrender.PostRenderer
	// Wait, when set, waits for the rollout after the release is applied.
	Wait func(ctx context.Context) error
	// Rand is the random source for new tokens (crypto/rand when nil).
	Rand io.Reader
	// Warn receives warnings (e.g. which drivers stop sharing on --rotate-token).
	Warn io.Writer
}

// DryRun is what a dry run may contact (helm's --dry-run values).
type DryRun string

const (
	// DryRunNone applies the release.
	DryRunNone DryRun = ""
	// DryRunClient renders without the cluster on install, as helm template does: no release
	// record, no token Secret, no lookup, the Kubernetes version render.DefaultKubeVersion.
	// An upgrade must still read the release's history and token Secret (its values and token
	// come from there); its templates' lookup sees nothing.
	DryRunClient DryRun = "client"
	// DryRunServer renders with lookup against the cluster and checks the release name and the
	// timestamps in use, changing nothing.
	DryRunServer DryRun = "server"
)

func (o *Options) dry() bool { return o.DryRun != DryRunNone }

// Token sources (Result.TokenSource).
const (
	TokenGenerated = "generated"
	TokenPinned    = "pinned"
	TokenKept      = "kept"
	TokenRotated   = "rotated"
)

// Result says what was applied.
type Result struct {
	Release *release.Release
	Token   token.Token
	// TokenSource is TokenGenerated, TokenPinned, TokenKept or TokenRotated.
	TokenSource string
	// Previous is the token the release's Secret held before an upgrade (zero on install or
	// when the Secret was missing).
	Previous token.Token
	// Installed is set when Upgrade with Install found no release and installed it.
	Installed bool
}

// RefusedError is a token or timestamp refused before anything is applied (bad input: the
// CLI exits 2). Its message names the value, where it came from and the fix.
type RefusedError struct{ Err error }

func (e *RefusedError) Error() string { return e.Err.Error() }
func (e *RefusedError) Unwrap() error { return e.Err }

func refused(format string, a ...any) error { return &RefusedError{Err: fmt.Errorf(format, a...)} }

// changed reports whether an upgrade gave the drivers a new token or timestamp.
func (r *Result) changed() bool {
	return r.Previous != (token.Token{}) && r.Token != r.Previous
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
	if o.Chart.Name() != contract.ChartName {
		return fmt.Errorf("chart %q is not the %s chart: this plugin manages only %s releases", o.Chart.Name(), contract.ChartName, contract.ChartName)
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

// withToken returns a copy of vals that points the chart at the plugin's token Secret
// secretName holding t (token.existingSecret and token.checksum): the token itself stays out
// of the release's values and manifest, so out of Helm's release record.
func withToken(vals map[string]any, t token.Token, secretName string) map[string]any {
	out := make(map[string]any, len(vals)+1)
	for k, v := range vals {
		out[k] = v
	}
	out["token"] = t.RefValues(secretName)["token"]
	return out
}

// Fullname is the chart's fullname of a release (template spark-mr3.fullname): fullnameOverride
// from vals, else from fallback (the reused values of the last revision, or nil), else from the
// chart's defaults, else the release name; at most 63 characters, without a trailing "-".
func Fullname(ch *chart.Chart, releaseName string, vals, fallback map[string]any) string {
	name := releaseName
	for _, m := range []map[string]any{vals, fallback, chartValues(ch)} {
		if v, ok := m["fullnameOverride"].(string); ok && v != "" {
			name = v
			break
		}
	}
	if len(name) > 63 {
		name = name[:63]
	}
	return strings.TrimSuffix(name, "-")
}

func chartValues(ch *chart.Chart) map[string]any {
	if ch == nil {
		return nil
	}
	return ch.Values
}

// userSecret is a token.existingSecret the user gave (not the plugin's own Secret): the token
// is then theirs to keep (Sealed Secrets, External Secrets) and the plugin passes it through.
func userSecret(vals map[string]any, own string) string {
	tok, _ := vals["token"].(map[string]any)
	name, _ := tok["existingSecret"].(string)
	if name == own {
		return ""
	}
	return name
}

// Install installs a new release with a new token (or the one pinned in values).
func Install(ctx context.Context, cfg *action.Configuration, client kubernetes.Interface, o Options) (*Result, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	return install(ctx, cfg, client, o, false)
}

// install installs o.Release; replace lets it reuse the name of a release whose uninstalled
// history is kept (helm upgrade --install does that, as helm install --replace).
func install(ctx context.Context, cfg *action.Configuration, client kubernetes.Interface, o Options, replace bool) (*Result, error) {
	clientOnly := o.DryRun == DryRunClient
	if !clientOnly {
		if last, err := cfg.Releases.Last(o.Release); err == nil {
			if !replace || last.Info.Status != release.StatusUninstalled {
				return nil, fmt.Errorf("release %q already exists in namespace %q: use 'helm sparkmr3 upgrade %s' (or 'upgrade --install' in scripts)", o.Release, o.Namespace, o.Release)
			}
		} else if !errors.Is(err, driver.ErrReleaseNotFound) {
			return nil, fmt.Errorf("read releases in namespace %q: %w", o.Namespace, err)
		}
	}
	fullname := Fullname(o.Chart, o.Release, o.Values, nil)
	secretName := contract.PluginTokenName(fullname)
	if name := userSecret(o.Values, secretName); name != "" {
		return applyUserSecret(ctx, cfg, client, o, name, nil, replace)
	}
	tok, pinned, err := token.FromValues(o.Values)
	if err != nil {
		return nil, refused("values from -f/--set: %w", err)
	}
	used := inUse{}
	if !clientOnly {
		// A client-side dry run cannot see the namespace: its token is drawn blind (it is
		// never stored; the real install draws again).
		if used, err = timestampsInUse(ctx, client, o); err != nil {
			return nil, err
		}
	}
	res := &Result{Token: tok, TokenSource: TokenPinned}
	if pinned {
		if err := used.refusePinned(tok, "token.applicationIdTimestamp from -f/--set", o); err != nil {
			return nil, err
		}
	} else {
		if res.Token, err = token.GenerateAvoiding(o.Rand, used.taken); err != nil {
			return nil, err
		}
		res.TokenSource = TokenGenerated
	}
	in := newInstall(cfg, o, replace)
	if !o.dry() {
		// The token Secret goes in before the release (its drivers read it when they start), so
		// --create-namespace must make the namespace first; helm's own create then finds it.
		if o.CreateNamespace {
			if err := createNamespace(ctx, client, o.Namespace); err != nil {
				return nil, err
			}
		}
		if err := token.Store(ctx, client, o.Namespace, o.Release, fullname, res.Token); err != nil {
			return nil, err
		}
	}
	rel, err := in.RunWithContext(ctx, o.Chart, withToken(o.Values, res.Token, secretName))
	res.Release = rel
	if err != nil && !o.dry() {
		// Nothing recorded (bad values, refused by the post-renderer: helm then returns an
		// unsaved release with the error): no release holds the Secret, so it goes too (a
		// release that was recorded keeps it until teardown or the --atomic clean-up below).
		if last, lerr := cfg.Releases.Last(o.Release); errors.Is(lerr, driver.ErrReleaseNotFound) || lerr == nil && last.Info.Status == release.StatusUninstalled {
			_ = token.Delete(context.WithoutCancel(ctx), client, o.Namespace, o.Release, fullname)
			return res, err
		}
	}
	if err == nil && !o.dry() && o.Wait != nil {
		err = o.Wait(ctx)
	}
	if err != nil && !o.dry() && o.Atomic && rel != nil {
		if uerr := uninstall(cfg, o); uerr != nil {
			return res, fmt.Errorf("%w; and the atomic clean-up failed too: %v (remove it with 'helm sparkmr3 teardown %s')", err, uerr, o.Release)
		}
		if derr := token.Delete(context.WithoutCancel(ctx), client, o.Namespace, o.Release, fullname); derr != nil {
			return res, fmt.Errorf("%w; rollback on failure: release %q was uninstalled again, but %v (remove it with 'helm sparkmr3 teardown %s')", err, o.Release, derr, o.Release)
		}
		return res, fmt.Errorf("%w; rollback on failure: release %q was uninstalled again", err, o.Release)
	}
	return res, err
}

// newInstall is helm's install action for o: name, namespace, timeout, post-renderer,
// description, labels and dry-run mode.
func newInstall(cfg *action.Configuration, o Options, replace bool) *action.Install {
	in := action.NewInstall(cfg)
	in.ReleaseName, in.Namespace, in.CreateNamespace, in.Timeout, in.PostRenderer = o.Release, o.Namespace, o.CreateNamespace, o.Timeout, o.PostRenderer
	in.Description, in.Labels, in.Replace = o.Description, o.Labels, replace
	switch o.DryRun {
	case DryRunServer:
		in.DryRun, in.DryRunOption = true, string(DryRunServer)
	case DryRunClient:
		// helm template's way: no release storage, no API server, default capabilities.
		in.DryRun, in.DryRunOption, in.ClientOnly = true, string(DryRunClient), true
		if kv, err := chartutil.ParseKubeVersion(render.DefaultKubeVersion); err == nil {
			in.KubeVersion = kv
		}
	}
	return in
}

// newUpgrade is helm's upgrade action for o.
func newUpgrade(cfg *action.Configuration, o Options) *action.Upgrade {
	up := action.NewUpgrade(cfg)
	up.Namespace, up.Timeout, up.PostRenderer, up.MaxHistory = o.Namespace, o.Timeout, o.PostRenderer, o.MaxHistory
	up.ReuseValues, up.ResetValues, up.ResetThenReuseValues = o.ReuseValues, o.ResetValues, o.ResetThenReuseValues
	up.Description, up.Labels = o.Description, o.Labels
	if o.dry() {
		up.DryRun, up.DryRunOption = true, string(o.DryRun)
	}
	return up
}

// applyUserSecret installs (last == nil) or upgrades a release whose values name a token Secret
// the user keeps (token.existingSecret, e.g. from Sealed Secrets): the plugin neither makes nor
// changes a token then, and passes the values as they are (the chart requires token.checksum).
func applyUserSecret(ctx context.Context, cfg *action.Configuration, client kubernetes.Interface, o Options, name string, last *release.Release, replace bool) (*Result, error) {
	if o.RotateToken {
		return nil, refused("--rotate-token: the values set token.existingSecret=%s, a Secret you keep yourself: put the new token in that Secret and change token.checksum, or drop token.existingSecret to let the plugin keep the token", name)
	}
	if _, pinned, _ := token.FromValues(o.Values); pinned {
		return nil, refused("values from -f/--set pin token.clientToAMTokenKey/applicationIdTimestamp and set token.existingSecret=%s: two sources of one token; drop one of them", name)
	}
	res := &Result{TokenSource: "Secret " + name}
	if o.DryRun == DryRunClient && last == nil {
		// No cluster: the Secret is not read (the drivers read it when they start).
	} else if s, err := client.CoreV1().Secrets(o.Namespace).Get(ctx, name, metav1.GetOptions{}); err == nil {
		if t, err := token.FromSecret(s); err == nil {
			res.Token = t
		}
	} else if !apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("read token Secret %s/%s: %w", o.Namespace, name, err)
	} else {
		o.warnf("token.existingSecret=%s: no such Secret in namespace %q yet; the drivers start once it exists with keys %s and %s", name, o.Namespace, contract.KeyToken, contract.KeyTimestamp)
	}
	var rel *release.Release
	var err error
	if last == nil {
		rel, err = newInstall(cfg, o, replace).RunWithContext(ctx, o.Chart, o.Values)
	} else {
		rel, err = newUpgrade(cfg, o).RunWithContext(ctx, o.Release, o.Chart, o.Values)
	}
	res.Release = rel
	if err == nil && !o.dry() && o.Wait != nil {
		err = o.Wait(ctx)
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
	if o.Install && (errors.Is(err, driver.ErrReleaseNotFound) || err == nil && last.Info.Status == release.StatusUninstalled) {
		// helm upgrade --install (3.22 and 4): install when there is no release, or only the
		// uninstalled history of one (then as install --replace). Any other last status (failed,
		// pending-*) is upgraded as helm upgrades it: a failed one is upgraded, a pending one
		// refused by helm ("another operation ... is in progress").
		res, ierr := install(ctx, cfg, client, o, err == nil)
		if res != nil {
			res.Installed = true
		}
		return res, ierr
	}
	if errors.Is(err, driver.ErrReleaseNotFound) {
		return nil, fmt.Errorf("release %q not found in namespace %q: install it with 'helm sparkmr3 install %s', or pass the right -n NAMESPACE", o.Release, o.Namespace, o.Release)
	}
	if err != nil {
		return nil, fmt.Errorf("read release %q in namespace %q: %w", o.Release, o.Namespace, err)
	}
	if last.Chart != nil && last.Chart.Metadata != nil && last.Chart.Metadata.Name != contract.ChartName {
		return nil, fmt.Errorf("release %q in namespace %q was made from chart %q, not %s: this plugin only upgrades %s releases", o.Release, o.Namespace, last.Chart.Metadata.Name, contract.ChartName, contract.ChartName)
	}
	vals := o.Values
	if len(vals) == 0 && !o.ReuseValues && !o.ResetValues && !o.ResetThenReuseValues {
		// helm upgrade without values keeps the release's (action.Upgrade does that only when
		// it gets none, and the plugin always passes the token): do it here.
		vals = last.Config
	}
	reusing := !o.ResetValues && (o.ReuseValues || o.ResetThenReuseValues || len(o.Values) == 0)
	var reused map[string]any
	if reusing {
		reused = last.Config
	}
	fullname := Fullname(o.Chart, o.Release, vals, reused)
	secretName := contract.PluginTokenName(fullname)
	if name := userSecret(o.Values, secretName); name != "" {
		return applyUserSecret(ctx, cfg, client, o, name, last, false)
	}
	if name := userSecret(reused, secretName); name != "" {
		return applyUserSecret(ctx, cfg, client, o, name, last, false)
	}
	res, err := settleUpgradeToken(ctx, client, o, last)
	if err != nil {
		return nil, err
	}
	// The plugin's Secret before this upgrade: restored by an --atomic rollback. A release of
	// the older plugin (token in its values and in the chart's F-token) has none yet: the token
	// is copied into it first, then the chart stops rendering F-token and Helm deletes that.
	prev, prevErr := client.CoreV1().Secrets(o.Namespace).Get(ctx, secretName, metav1.GetOptions{})
	hadSecret := prevErr == nil
	if prevErr != nil && !apierrors.IsNotFound(prevErr) {
		return nil, fmt.Errorf("read token Secret %s/%s: %w", o.Namespace, secretName, prevErr)
	}
	if !o.dry() {
		if err := token.Store(ctx, client, o.Namespace, o.Release, fullname, res.Token); err != nil {
			return nil, err
		}
	}
	rel, err := newUpgrade(cfg, o).RunWithContext(ctx, o.Release, o.Chart, withToken(vals, res.Token, secretName))
	res.Release = rel
	if err != nil && !o.dry() {
		// No new revision recorded (bad values, refused by the post-renderer): the release and
		// its drivers still use the token of before, so the Secret must hold it again.
		if cur, lerr := cfg.Releases.Last(o.Release); lerr == nil && cur.Version == last.Version {
			if serr := restoreTokenSecret(ctx, client, o, fullname, hadSecret, prev); serr != nil {
				return res, fmt.Errorf("%w; and restoring token Secret %s/%s failed: %v", err, o.Namespace, secretName, serr)
			}
			return res, err
		}
	}
	if err == nil && !o.dry() && res.changed() {
		err = restartDrivers(ctx, client, o, "the new token")
	}
	if err == nil && !o.dry() && o.Wait != nil {
		err = o.Wait(ctx)
	}
	if err != nil && !o.dry() && o.Atomic && (rel != nil || !errors.Is(err, context.Canceled)) {
		rb := action.NewRollback(cfg)
		rb.Version = last.Version
		rb.Wait = false
		rb.Timeout = o.Timeout
		if rerr := bounded(o.Timeout, func() error { return rb.Run(o.Release) }); rerr != nil {
			return res, fmt.Errorf("%w; and the atomic rollback to revision %d failed too: %v", err, last.Version, rerr)
		}
		// helm rollback does not know the plugin's Secret: put back what it held.
		if serr := restoreTokenSecret(ctx, client, o, fullname, hadSecret, prev); serr != nil {
			return res, fmt.Errorf("%w; rollback on failure: rolled back to revision %d, but %v", err, last.Version, serr)
		}
		if res.changed() && rel != nil {
			// The rollback restored the old token Secret: drivers that restarted with the new
			// token must restart again (a DAGAppMaster they started stays the release's, and
			// teardown removes it).
			if rerr := restartDrivers(context.WithoutCancel(ctx), client, o, "the restored token"); rerr != nil {
				return res, fmt.Errorf("%w; rollback on failure: rolled back to revision %d, but %v", err, last.Version, rerr)
			}
		}
		return res, fmt.Errorf("%w; rollback on failure: rolled back to revision %d", err, last.Version)
	}
	return res, err
}

// createNamespace makes the release's namespace as helm's --create-namespace does (same label);
// one that exists already is fine.
func createNamespace(ctx context.Context, client kubernetes.Interface, name string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"name": name}}}
	if _, err := client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create namespace %q (--create-namespace): %w", name, err)
	}
	return nil
}

// restoreTokenSecret puts back the plugin's token Secret as it was before an upgrade that did
// not take: its old token, or no Secret when the upgrade made it.
func restoreTokenSecret(ctx context.Context, client kubernetes.Interface, o Options, fullname string, hadSecret bool, prev *corev1.Secret) error {
	ctx = context.WithoutCancel(ctx)
	if !hadSecret {
		return token.Delete(ctx, client, o.Namespace, o.Release, fullname)
	}
	old, err := token.FromSecret(prev)
	if err != nil {
		return err
	}
	return token.Store(ctx, client, o.Namespace, o.Release, fullname, old)
}

// settleUpgradeToken decides the token of an upgrade. Three sources, in this order:
//
//  1. the token pinned by this command's values (-f/--set): the user's intent. Without
//     --rotate-token it must equal the release's Secret (else refused: changing it silently
//     would split the drivers); with --rotate-token it is the new token and must differ.
//  2. the release's token Secret: what every running driver holds. Kept unless --rotate-token,
//     which draws a new one. A token pinned in the values REUSED from the last revision
//     (--reuse-values, --reset-then-reuse-values, or an upgrade without values) never wins
//     over it: the plugin itself wrote it there, it records the release's token, not a wish.
//  3. with no Secret (deleted by hand): the reused values' token, restoring it.
//
// A new token (rotated or pinned) must not take a timestamp another release or MR3
// application in the namespace uses; a drawn one also avoids the release's own older
// DAGAppMasters that still run.
func settleUpgradeToken(ctx context.Context, client kubernetes.Interface, o Options, last *release.Release) (*Result, error) {
	existing, found, err := token.FindForRelease(ctx, client, o.Namespace, o.Release)
	if err != nil {
		return nil, err
	}
	explicit, isExplicit, err := token.FromValues(o.Values)
	if err != nil {
		return nil, refused("values from -f/--set: %w", err)
	}
	reusing := !o.ResetValues && (o.ReuseValues || o.ResetThenReuseValues || len(o.Values) == 0)
	var reused token.Token
	var isReused bool
	if reusing && last.Config != nil {
		if reused, isReused, err = token.FromValues(last.Config); err != nil {
			return nil, refused("values of revision %d, reused by this upgrade: %w; pin a valid token with --set token.clientToAMTokenKey=… --set token.applicationIdTimestamp=…", last.Version, err)
		}
	}
	res := &Result{}
	if found {
		res.Previous = existing
	}
	newToken := func(t token.Token, source string) (*Result, error) {
		used, err := timestampsInUse(ctx, client, o)
		if err != nil {
			return nil, err
		}
		if source == "" {
			if t, err = token.GenerateAvoiding(o.Rand, used.taken); err != nil {
				return nil, err
			}
		} else if err := used.refusePinned(t, source, o); err != nil {
			return nil, err
		}
		res.Token, res.TokenSource = t, TokenRotated
		old := "the old DAGAppMaster"
		if found {
			old = "the old DAGAppMaster (" + existing.ApplicationID() + ")"
		}
		if o.dry() {
			o.warnf("--rotate-token (dry run): a real upgrade would draw a new token, restart drivers %v and leave %s running until 'helm sparkmr3 teardown %s'; nothing was changed",
				driverNames(ctx, client, o.Namespace, o.Release), old, o.Release)
			return res, nil
		}
		o.warnf("--rotate-token: drivers %v restart with the new token and start a new DAGAppMaster (%s); drivers outside Kubernetes still hold the old one and stop sharing until they run 'helm sparkmr3 env %s' again; %s keeps running until 'helm sparkmr3 teardown %s', which removes it with its workers",
			driverNames(ctx, client, o.Namespace, o.Release), t.ApplicationID(), o.Release, old, o.Release)
		return res, nil
	}
	switch {
	case o.RotateToken && isExplicit && found && explicit == existing:
		return nil, refused("--rotate-token asks for a new token, but the values from -f/--set pin the release's current one (timestamp %d): drop the pinned token.* values to get a new generated token, pin a different one, or drop --rotate-token", existing.Timestamp)
	case o.RotateToken && isExplicit:
		return newToken(explicit, "token.applicationIdTimestamp from -f/--set")
	case o.RotateToken:
		if isReused && !isExplicit {
			o.warnf("--rotate-token: the token pinned in the values reused from revision %d is replaced by a new one", last.Version)
		}
		return newToken(token.Token{}, "")
	case isExplicit && found && explicit != existing:
		return nil, refused("the values from -f/--set pin token.clientToAMTokenKey/applicationIdTimestamp that differ from the release's Secret (timestamp %d vs %d): drivers would stop sharing the DAGAppMaster; drop the pinned values to keep the release's token, or add --rotate-token to change it on purpose", explicit.Timestamp, existing.Timestamp)
	case found:
		if isReused && reused != existing && !isExplicit {
			o.warnf("the values reused from revision %d pin timestamp %d, but the release's Secret holds %d (changed outside helm?): keeping the Secret's, which the drivers use; pass --rotate-token with --set token.* to change it", last.Version, reused.Timestamp, existing.Timestamp)
		}
		res.Token, res.TokenSource = existing, TokenKept
		return res, nil
	case isExplicit:
		res.Token, res.TokenSource = explicit, TokenPinned
		return res, nil
	case isReused:
		res.Token, res.TokenSource = reused, TokenPinned
		o.warnf("release %q has no token Secret in namespace %q (deleted by hand?): restoring the token pinned in the values of revision %d (timestamp %d)", o.Release, o.Namespace, last.Version, reused.Timestamp)
		return res, nil
	default:
		return nil, refused("release %q has no token Secret in namespace %q (deleted by hand?): pin the old token with --set token.clientToAMTokenKey=… --set token.applicationIdTimestamp=…, or pass --rotate-token to make a new one", o.Release, o.Namespace)
	}
}

// inUse are the timestamps in use in a namespace (mr3runtime decides whose).
type inUse struct {
	// others holds other releases' and MR3 applications' timestamps with their holders.
	others map[int64]string
	// own holds the release's own timestamps: its token and DAGAppMasters still there.
	own map[int64]bool
}

// taken reports whether a drawn timestamp would collide with anything in the namespace.
func (u inUse) taken(ts int64) bool { _, other := u.others[ts]; return other || u.own[ts] }

// refusePinned refuses a pinned timestamp another application holds. The release's own
// older timestamps are allowed: going back to an earlier token is what helm rollback does.
func (u inUse) refusePinned(t token.Token, source string, o Options) error {
	h, ok := u.others[t.Timestamp]
	if !ok {
		return nil
	}
	return refused("%s: timestamp %d is already used in namespace %q by %s; two releases with one timestamp would share the DAGAppMaster %s and refuse each other's token: pin another positive integer, or leave token.clientToAMTokenKey and token.applicationIdTimestamp empty to get a free one",
		source, t.Timestamp, o.Namespace, h, contract.AMDeploymentNames(strconv.FormatInt(t.Timestamp, 10))[0])
}

// timestampsInUse asks mr3runtime which timestamps the namespace's MR3 applications hold.
// Without the permission to list them it warns and lets the install go on.
func timestampsInUse(ctx context.Context, client kubernetes.Interface, o Options) (inUse, error) {
	u := inUse{others: map[int64]string{}, own: map[int64]bool{}}
	objs, err := mr3runtime.Find(ctx, client, o.Namespace, o.Release)
	if apierrors.IsForbidden(err) {
		o.warnf("cannot check which MR3_APPLICATION_ID_TIMESTAMP values are in use in namespace %q (%v): make sure no other release there uses this one", o.Namespace, err)
		return u, nil
	}
	if err != nil {
		return u, fmt.Errorf("check the timestamps in use in namespace %q: %w", o.Namespace, err)
	}
	for _, h := range objs.Others {
		if ts, err := strconv.ParseInt(h.Timestamp, 10, 64); err == nil {
			u.others[ts] = h.Holder
		}
	}
	for _, s := range append(objs.Timestamps, objs.Timestamp) {
		if ts, err := strconv.ParseInt(s, 10, 64); err == nil {
			u.own[ts] = true
		}
	}
	return u, nil
}

// restartDrivers makes the driver Pods pick up a changed token Secret, which they read only
// at start. A chart whose driver Pod template carries a checksum/token annotation needs
// nothing: the changed template rolls the StatefulSets (on helm rollback too). Otherwise the
// Pods are deleted and their StatefulSets recreate them.
func restartDrivers(ctx context.Context, client kubernetes.Interface, o Options, why string) error {
	sel := contract.LabelInstance + "=" + o.Release + "," + contract.LabelComponent + "=" + contract.ComponentDriver
	sts, err := client.AppsV1().StatefulSets(o.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return fmt.Errorf("restart the driver Pods of %q with %s: %w", o.Release, why, err)
	}
	rolls := len(sts.Items) > 0
	for _, s := range sts.Items {
		if _, ok := s.Spec.Template.Annotations[contract.AnnotationChecksumToken]; !ok {
			rolls = false
		}
	}
	if rolls {
		return nil
	}
	if err := client.CoreV1().Pods(o.Namespace).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: sel}); err != nil {
		return fmt.Errorf("restart the driver Pods of %q with %s: %w", o.Release, why, err)
	}
	return nil
}

func driverNames(ctx context.Context, client kubernetes.Interface, ns, rel string) []string {
	list, err := client.AppsV1().StatefulSets(ns).List(ctx, metav1.ListOptions{
		LabelSelector: contract.LabelInstance + "=" + rel + "," + contract.LabelComponent + "=" + contract.ComponentDriver,
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

// StorageExposure returns a warning when Helm's storage driver (HELM_DRIVER) keeps release
// records where more people can read them than can read Secrets. The plugin keeps the token
// out of the record (its own Secret, token.existingSecret; docs/DESIGN.md, "Token"), so what
// is exposed is every other value (keytab contents given with --set-file, passwords in
// sparkDefaults, ...) and, for a release made by an older plugin, the token in the revisions
// it wrote. "" when the driver keeps records in Secrets (the default) or in memory.
func StorageExposure(helmDriver, namespace string) string {
	const rest = "the DAGAppMaster token is not in it (the plugin keeps it in its own Secret), but revisions written by an older plugin still hold it"
	switch strings.ToLower(strings.TrimSpace(helmDriver)) {
	case "configmap", "configmaps":
		return fmt.Sprintf("HELM_DRIVER=%s keeps the release record, with every value (keytabs from --set-file, passwords in sparkDefaults, ...), in a ConfigMap: anyone with the built-in 'view' role in namespace %q can read it (helm get values); %s; unset HELM_DRIVER to keep it in a Secret", helmDriver, namespace, rest)
	case "sql":
		return "HELM_DRIVER=sql keeps the release record, with every value (keytabs from --set-file, passwords in sparkDefaults, ...), in the SQL database: whoever can read that table can read them; " + rest
	}
	return ""
}
