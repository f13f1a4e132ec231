package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/cli/output"
	helmrelease "helm.sh/helm/v3/pkg/release"
	"k8s.io/client-go/kubernetes"

	sparkmr3 "github.com/spark-mr3/spark-mr3"
	"github.com/spark-mr3/spark-mr3/plugin/postrender"
	"github.com/spark-mr3/spark-mr3/plugin/release"
	"github.com/spark-mr3/spark-mr3/plugin/rollout"
)

// applyOptions are the flags install and upgrade share, named as helm names them.
type applyOptions struct {
	values          valueFlags
	chartVersion    string
	registry        registryFlags
	createNamespace bool
	timeout         time.Duration
	// atomic is --rollback-on-failure; atomicOld is its hidden, deprecated name --atomic.
	atomic, atomicOld bool
	dryRun            release.DryRun
	// wait is a --wait strategy: waitWatcher, waitLegacy or waitHookOnly.
	wait           string
	install        bool
	hideNotes      bool
	description    string
	labels         map[string]string
	historyMax     int
	format         output.Format
	kustomize      overlayFlags
	rotateToken    bool
	reuseValues    bool
	resetValues    bool
	resetThenReuse bool
}

func (o *applyOptions) addFlags(fs *pflag.FlagSet, upgrade bool, maxHistory int) {
	o.values.register(fs)
	fs.StringVar(&o.chartVersion, "version", "", "chart version constraint when CHART is a repository reference")
	o.registry.register(fs)
	createNS := "create the release namespace if not present"
	if upgrade {
		createNS = "with --install, " + createNS
	}
	fs.BoolVar(&o.createNamespace, "create-namespace", false, createNS)
	fs.DurationVar(&o.timeout, "timeout", 5*time.Minute, "time to wait for the Kubernetes operations and the rollout")
	o.addHelmConventionFlags(fs, upgrade, maxHistory)
	o.kustomize.Register(fs, "kustomize overlay directory applied to the rendered manifests before the consistency check")
	if upgrade {
		fs.BoolVar(&o.rotateToken, "rotate-token", false, "generate a NEW token and timestamp, whatever the reused values pin (or take the one -f/--set pin); drivers restart, the old DAGAppMaster runs until teardown")
		fs.BoolVar(&o.reuseValues, "reuse-values", false, "reuse the last release's values and merge in any overrides (the release's token is kept unless --rotate-token)")
		fs.BoolVar(&o.resetValues, "reset-values", false, "reset the values to the ones built into the chart")
		fs.BoolVar(&o.resetThenReuse, "reset-then-reuse-values", false, "reset the values to the chart's, then merge in the last release's values and any overrides")
	}
}

// loadChart loads CHART (a directory, archive, repository or oci:// reference), or the chart
// shipped with the plugin when none is given.
func loadChart(s *Settings, args []string, version string, reg *registryFlags) (*chart.Chart, error) {
	if len(args) < 2 || args[1] == "" {
		return sparkmr3.Chart()
	}
	path, err := reg.locateChart(s, args[1], version)
	if err != nil {
		return nil, err
	}
	c, err := loader.Load(path)
	if err != nil {
		return nil, UsageError("load chart %s: %v", path, err)
	}
	return c, nil
}

func newInstallCmd(s *Settings) *cobra.Command {
	return newApplyCmd(s, false)
}

func newUpgradeCmd(s *Settings) *cobra.Command {
	return newApplyCmd(s, true)
}

func newApplyCmd(s *Settings, upgrade bool) *cobra.Command {
	o := &applyOptions{}
	verb := "install"
	short := "Install a Spark on MR3 release with a new shared DAGAppMaster token"
	example := `  # the chart shipped with the plugin, two drivers
  helm sparkmr3 install spark -n sparkmr3 --create-namespace --set 'drivers[0].name=spark1' --set 'drivers[1].name=spark2'

  # your values, a kustomize overlay, no waiting
  helm sparkmr3 install spark ./charts/spark-mr3 -f prod.yaml --kustomize overlays/prod --wait=hookOnly

  # what would be installed, without a cluster (Secret data masked)
  helm sparkmr3 install spark -f prod.yaml --dry-run=client`
	if upgrade {
		verb = "upgrade"
		short = "Upgrade a Spark on MR3 release, keeping its token unless --rotate-token"
		example = `  helm sparkmr3 upgrade spark -n sparkmr3 -f prod.yaml
  helm sparkmr3 upgrade --install spark -n sparkmr3 --create-namespace -f prod.yaml -o json   # scripts and CI
  helm sparkmr3 upgrade spark -n sparkmr3 --reuse-values --set 'drivers[2].name=spark3'
  helm sparkmr3 upgrade spark -n sparkmr3 --rotate-token   # new token: drivers stop sharing the old DAGAppMaster`
	}
	cmd := &cobra.Command{
		Use:     verb + " RELEASE [CHART]",
		Short:   short,
		Example: example,
		Args:    cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.complete(s, verb); err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runApply(ctx, s, o, args, upgrade)
		},
	}
	o.addFlags(cmd.Flags(), upgrade, s.Helm.MaxHistory)
	bindOutputFlag(cmd, &o.format, []output.Format{output.Table, output.JSON, output.YAML}, nil)
	addApplyFlagCompletion(cmd)
	return cmd
}

// complete checks the flags that pflag cannot and settles their combinations, before anything
// is loaded or applied.
func (o *applyOptions) complete(s *Settings, verb string) error {
	if o.atomicOld {
		// Helm 4 hides --atomic and warns; cobra's MarkDeprecated would print to stdout
		// (the command's output), which -o json must keep pure.
		fmt.Fprintln(s.IO.ErrOut, "WARNING: --atomic is deprecated (Helm 4): use --rollback-on-failure, which does the same")
		o.atomic = true
	}
	if o.atomic && o.wait == waitHookOnly {
		// As helm 4: rolling back on failure needs to know whether the rollout completed.
		o.wait = waitWatcher
	}
	if o.historyMax < 0 {
		return UsageError("--history-max %d: use 0 (no limit) or a positive number of revisions to keep", o.historyMax)
	}
	if err := validateLabels(o.labels); err != nil {
		return err
	}
	return nil
}

func runApply(ctx context.Context, s *Settings, o *applyOptions, args []string, upgrade bool) error {
	ch, err := loadChart(s, args, o.chartVersion, &o.registry)
	if err != nil {
		return err
	}
	vals, err := o.values.merge(s)
	if err != nil {
		return err
	}
	pr, err := newPostRenderer(s, o.kustomize)
	if err != nil {
		return err
	}
	cfg, err := s.ActionConfig()
	if err != nil {
		return err
	}
	client, err := s.KubeClient()
	if err != nil {
		return err
	}
	if w := release.StorageExposure(s.Getenv("HELM_DRIVER"), s.Namespace()); w != "" {
		fmt.Fprintf(s.IO.ErrOut, "WARNING: %s\n", w)
	}
	ro := release.Options{
		Release: args[0], Namespace: s.Namespace(), Chart: ch, Values: vals,
		ReuseValues: o.reuseValues, ResetValues: o.resetValues, ResetThenReuseValues: o.resetThenReuse,
		CreateNamespace: o.createNamespace, DryRun: o.dryRun, Atomic: o.atomic, Timeout: o.timeout,
		RotateToken: o.rotateToken, PostRenderer: pr, Warn: s.IO.ErrOut,
		Install: o.install, Description: o.description, Labels: o.labels, MaxHistory: o.historyMax,
	}
	if o.waits() {
		ro.Wait = func(ctx context.Context) error { return waitRelease(ctx, s, client, args[0], o.timeout) }
	}
	start := s.Clock.Now()
	var res *release.Result
	if upgrade {
		res, err = release.Upgrade(ctx, cfg, client, ro)
	} else {
		res, err = release.Install(ctx, cfg, client, ro)
	}
	if err != nil {
		return applyError(err)
	}
	if o.dryRun == release.DryRunNone && res.Release != nil {
		warnPodSecurity(ctx, s, client, res.Release.Manifest)
	}
	return printApplied(s.IO.Out, res, o, s.Clock.Since(start))
}

// waits reports whether the --wait strategy waits for the rollout (watcher and legacy both
// use the plugin's watch; hookOnly waits for hooks only, and the chart has none).
func (o *applyOptions) waits() bool { return o.wait != waitHookOnly }

// waitRelease waits until every driver of the release is ready.
func waitRelease(ctx context.Context, s *Settings, client kubernetes.Interface, rel string, timeout time.Duration) error {
	printer := rollout.NewPrinter(s.IO.ErrOut, s.IsTerminal(s.IO.ErrOut))
	opts := rollout.Options{Timeout: timeout, Clock: s.Clock, Progress: printer.Event}
	ready, err := rollout.Wait(ctx, client, rollout.Target{Namespace: s.Namespace(), Release: rel}, opts)
	if err != nil {
		return err
	}
	// The first wait returns once any driver is ready; each other driver is checked by name
	// (its objects are ready by now in the usual case, so each costs one LIST per kind).
	for _, d := range ready.Drivers {
		if d.Ready() {
			continue
		}
		if _, err := rollout.Wait(ctx, client, rollout.Target{Namespace: s.Namespace(), Release: rel, Driver: d.Name}, opts); err != nil {
			return err
		}
	}
	return nil
}

func applyError(err error) error {
	switch {
	case isCheckFailure(err):
		return WithCode(ExitCheckFailed, err)
	case isNotReady(err):
		return WithCode(ExitNotReady, err)
	case isInterrupted(err):
		return WithCode(ExitInterrupted, err)
	case errors.As(err, new(*release.RefusedError)), errors.As(err, new(*postrender.RemoteError)):
		return WithCode(ExitUsage, err)
	case isBadValues(err):
		if strings.Contains(err.Error(), "values don't meet the specifications of the schema") {
			err = fmt.Errorf("%w\nfix the values listed above (from -f/--set): each key, its type and its allowed values are described in the chart's values.yaml and README", err)
		}
		return WithCode(ExitUsage, err)
	}
	return err
}

func printApplied(w io.Writer, res *release.Result, o *applyOptions, took time.Duration) error {
	rel := res.Release
	if rel == nil {
		return nil
	}
	if o.dryRun != release.DryRunNone {
		masked, err := release.MaskSecrets(rel.Manifest)
		if err != nil {
			return err
		}
		if o.format != output.Table {
			shown := *rel
			shown.Manifest = masked
			return o.format.Write(w, appliedView{Release: &shown, SparkMR3: newAppliedSummary(res, o, took)})
		}
		_, err = fmt.Fprintf(w, "# dry run of %s (%s): nothing was changed; Secret data is masked\n%s", rel.Name, o.dryRun, masked)
		return err
	}
	return o.format.Write(w, appliedView{Release: rel, SparkMR3: newAppliedSummary(res, o, took), hideNotes: o.hideNotes})
}

// appliedView is what install and upgrade print: with -o json|yaml the release as helm
// prints it (name, info with status and notes, chart, config, manifest, version, namespace)
// and the plugin's own summary under "sparkmr3"; as a table the plugin's lines, then the
// chart's NOTES as helm prints them. The release's values name the token Secret and the
// token's checksum only, never the token.
type appliedView struct {
	*helmrelease.Release
	SparkMR3  appliedSummary `json:"sparkmr3"`
	hideNotes bool
}

// appliedSummary is the plugin's part of the result: where the token came from (never the
// token), the drivers and the rollout wait.
type appliedSummary struct {
	// Installed is set when upgrade --install installed the release.
	Installed     bool     `json:"installed,omitempty"`
	TokenSource   string   `json:"tokenSource"`
	ApplicationID string   `json:"applicationId,omitempty"`
	Drivers       []string `json:"drivers"`
	// Wait is the --wait strategy; ReadyAfter how long the rollout took when it was waited for.
	Wait       string `json:"wait"`
	ReadyAfter string `json:"readyAfter,omitempty"`
	DryRun     string `json:"dryRun,omitempty"`
}

func newAppliedSummary(res *release.Result, o *applyOptions, took time.Duration) appliedSummary {
	sum := appliedSummary{Installed: res.Installed, TokenSource: res.TokenSource, Drivers: driverNamesFromValues(res.Release), Wait: o.wait}
	if sum.Drivers == nil {
		sum.Drivers = []string{}
	}
	if res.Token.Timestamp != 0 {
		sum.ApplicationID = res.Token.ApplicationID()
	}
	if o.dryRun != release.DryRunNone {
		sum.DryRun = string(o.dryRun)
	} else if o.waits() {
		sum.ReadyAfter = took.Round(time.Millisecond).String()
	}
	return sum
}

func (v appliedView) WriteJSON(w io.Writer) error { return output.EncodeJSON(w, v) }

func (v appliedView) WriteYAML(w io.Writer) error { return output.EncodeYAML(w, v) }

func (v appliedView) WriteTable(w io.Writer) error {
	rel, sum := v.Release, v.SparkMR3
	if sum.Installed {
		// helm upgrade --install's line, in table output only as helm prints it.
		fmt.Fprintf(w, "Release %q does not exist. Installing it now.\n", rel.Name)
	}
	app := ""
	if sum.ApplicationID != "" {
		app = " (application " + sum.ApplicationID + ")"
	}
	fmt.Fprintf(w, "NAME: %s\nNAMESPACE: %s\nREVISION: %d\nSTATUS: %s\nTOKEN: %s%s\nDRIVERS: %s\n",
		rel.Name, rel.Namespace, rel.Version, rel.Info.Status, sum.TokenSource, app, strings.Join(sum.Drivers, ", "))
	if sum.ReadyAfter != "" {
		fmt.Fprintf(w, "READY: all drivers ready after %s\n", sum.ReadyAfter)
	}
	fmt.Fprintf(w, "NEXT: helm sparkmr3 submit %s -n %s -- --class org.example.Main app.jar\n", rel.Name, rel.Namespace)
	if !v.hideNotes && strings.TrimSpace(rel.Info.Notes) != "" {
		fmt.Fprintf(w, "NOTES:\n%s\n", strings.TrimSpace(rel.Info.Notes))
	}
	return nil
}

func driverNamesFromValues(rel *helmrelease.Release) []string {
	vals, err := chartutil.CoalesceValues(rel.Chart, rel.Config)
	if err != nil {
		return nil
	}
	var names []string
	list, _ := vals["drivers"].([]any)
	for _, d := range list {
		if m, ok := d.(map[string]any); ok {
			if n, ok := m["name"].(string); ok {
				names = append(names, n)
			}
		}
	}
	sort.Strings(names)
	return names
}
