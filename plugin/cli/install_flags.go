package cli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"helm.sh/helm/v3/pkg/storage/driver"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/spark-mr3/spark-mr3/plugin/release"
)

// Helm 4's --wait strategies (helm.sh/helm/v4/pkg/kube WaitStrategy), with helm 3's booleans.
const (
	waitWatcher  = "watcher"
	waitHookOnly = "hookOnly"
	waitLegacy   = "legacy"
)

// waitValue is --wait as Helm 4 reads it: watcher, hookOnly or legacy, and helm 3's true
// (watcher) and false (hookOnly); a bare --wait is watcher. The plugin's default stays
// watcher (helm's is hookOnly): submit needs ready drivers.
type waitValue struct{ strategy *string }

func (v waitValue) String() string { return *v.strategy }

func (v waitValue) Type() string { return "strategy" }

func (v waitValue) Set(s string) error {
	switch s {
	case waitWatcher, waitHookOnly, waitLegacy:
		*v.strategy = s
	case "true":
		*v.strategy = waitWatcher
	case "false":
		*v.strategy = waitHookOnly
	default:
		return fmt.Errorf("use one of %s, %s, %s (or true = %s, false = %s)", waitWatcher, waitHookOnly, waitLegacy, waitWatcher, waitHookOnly)
	}
	return nil
}

// dryRunValue is --dry-run as helm reads it: none, client or server, and the booleans
// (true = client, false = none); a bare --dry-run is client.
type dryRunValue struct{ mode *release.DryRun }

func (v dryRunValue) String() string {
	if *v.mode == release.DryRunNone {
		return "none"
	}
	return string(*v.mode)
}

func (v dryRunValue) Type() string { return "mode" }

func (v dryRunValue) Set(s string) error {
	switch s {
	case "none", "false":
		*v.mode = release.DryRunNone
	case "client", "true":
		*v.mode = release.DryRunClient
	case "server":
		*v.mode = release.DryRunServer
	default:
		return fmt.Errorf("use one of none, client, server (a bare --dry-run is client)")
	}
	return nil
}

// registerChoices gives a flag the shell completion of its fixed values.
func registerChoices(cmd *cobra.Command, flag string, choices map[string]string) {
	err := cmd.RegisterFlagCompletionFunc(flag, func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		var out []cobra.Completion
		for v, desc := range choices {
			out = append(out, cobra.CompletionWithDesc(v, desc))
		}
		sort.Strings(out)
		return out, cobra.ShellCompDirectiveNoFileComp
	})
	if err != nil {
		// Only when the flag is missing: a programming error in this file.
		panic(err)
	}
}

// addApplyFlagCompletion completes --wait and --dry-run (-o is bindOutputFlag's).
func addApplyFlagCompletion(cmd *cobra.Command) {
	registerChoices(cmd, "wait", map[string]string{
		waitWatcher:  "wait for the drivers, token Secret, conf and AM Service (the default)",
		waitLegacy:   "same as watcher in this plugin",
		waitHookOnly: "do not wait for the rollout (the chart has no hooks)",
	})
	registerChoices(cmd, "dry-run", map[string]string{
		"client": "render, post-render and check without the cluster (install); no lookup",
		"server": "render with lookup against the cluster, check, change nothing",
		"none":   "apply (no dry run)",
	})
}

// validateLabels refuses --labels that helm would refuse (its system labels) or that the
// release record's Secret (or ConfigMap) could not carry as Kubernetes labels, before
// anything is applied ("null", which removes a label on upgrade, is a valid value).
func validateLabels(labels map[string]string) error {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := labels[k]
		if driver.ContainsSystemLabels(map[string]string{k: v}) {
			return UsageError("--labels %s=%s: %q is a label helm sets on every release record itself (%s): choose another key", k, v, k, strings.Join(driver.GetSystemLabels(), ", "))
		}
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			return UsageError("--labels %s=%s: key %q is not a Kubernetes label key (%s): use letters, digits, '-', '_', '.', with an optional DNS prefix/", k, v, k, strings.Join(errs, "; "))
		}
		if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
			return UsageError("--labels %s=%s: value %q is not a Kubernetes label value (%s): use at most 63 letters, digits, '-', '_', '.'", k, v, v, strings.Join(errs, "; "))
		}
	}
	return nil
}

// addHelmConventionFlags adds helm's own install/upgrade flags that this file parses.
func (o *applyOptions) addHelmConventionFlags(fs *pflag.FlagSet, upgrade bool, maxHistory int) {
	o.wait = waitWatcher
	fs.Var(waitValue{&o.wait}, "wait", "wait until the drivers, token Secret, conf and AM Service are ready, by watching them (up to --timeout): "+waitWatcher+" (the default, and a bare --wait) and "+waitLegacy+" both use that watch; "+waitHookOnly+" does not wait (the chart has no hooks); true = "+waitWatcher+", false = "+waitHookOnly)
	fs.Lookup("wait").NoOptDefVal = waitWatcher
	fs.Var(dryRunValue{&o.dryRun}, "dry-run", "render, post-render and check without changing anything; Secret data is masked: client (a bare --dry-run) renders without the cluster on install (no lookup; an upgrade still reads the release and its token Secret), server renders with lookup against the cluster; none applies")
	fs.Lookup("dry-run").NoOptDefVal = string(release.DryRunClient)
	fs.BoolVar(&o.atomic, "rollback-on-failure", false, "undo the change if it fails or the rollout does not complete (uninstall on install, roll back on upgrade); with --wait=hookOnly it still waits (watcher), as in helm 4")
	fs.BoolVar(&o.atomicOld, "atomic", false, "deprecated: use --rollback-on-failure (same meaning)")
	_ = fs.MarkHidden("atomic")
	fs.BoolVar(&o.hideNotes, "hide-notes", false, "do not print the chart's NOTES after the result")
	fs.StringVar(&o.description, "description", "", "the release's description in helm history")
	fs.StringToStringVarP(&o.labels, "labels", "l", nil, "labels of the release record (helm's release metadata, shown by helm get metadata), comma-separated key=value")
	if upgrade {
		fs.BoolVarP(&o.install, "install", "i", false, "install the release when it does not exist (new token, --create-namespace honoured, --reuse-values ignored), else upgrade it (token kept)")
		fs.IntVar(&o.historyMax, "history-max", maxHistory, "limit the number of revisions kept per release; 0 for no limit")
		fs.Lookup("labels").Usage += "; merged into the last revision's, key=null removes one"
	}
}
