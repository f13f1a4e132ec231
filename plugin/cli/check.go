package cli

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"helm.sh/helm/v3/pkg/cli/output"

	"github.com/spark-mr3/spark-mr3/plugin/check"
	"github.com/spark-mr3/spark-mr3/plugin/check/render"
	"github.com/spark-mr3/spark-mr3/plugin/manifest"
	"github.com/spark-mr3/spark-mr3/plugin/postrender"
)

// checkOptions are the flags of `check`.
type checkOptions struct {
	values       valueFlags
	chartVersion string
	registry     registryFlags
	kustomize    postrender.Flags
	kubeVersion  string
	output       output.Format
}

func newCheckCmd(s *Settings) *cobra.Command {
	o := &checkOptions{}
	cmd := &cobra.Command{
		Use:   "check [RELEASE | CHART]",
		Short: "Check that a release's settings agree (host aliases, local dirs, shuffle, ports, token, env.sh, …)",
		Long: `check runs the spark-mr3 consistency rules on rendered manifests and prints every
violation with both sides and the fix. The rules read the configuration MR3 really uses:
mr3-site.xml and hive-site.xml with the -D options MR3's driver scripts build from env.sh laid
over them; one rule names every key where env.sh and a conf file disagree.

With RELEASE it reads the deployed release's manifest; with CHART (a directory, .tgz or
repo/name) or no argument (the chart shipped with the plugin) it renders the chart client-side
with -f/--set values. --kustomize applies an overlay first. It exits 3 when a rule is broken.`,
		Example: `  helm sparkmr3 check -f my-values.yaml
  helm sparkmr3 check ./charts/spark-mr3 -f prod.yaml --kustomize overlays/prod -o json
  helm sparkmr3 check spark -n sparkmr3`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCheck(contextOf(cmd), s, o, args)
		},
	}
	f := cmd.Flags()
	o.values.register(f)
	f.StringVar(&o.chartVersion, "version", "", "chart version constraint when CHART is a repository reference")
	o.registry.register(f)
	o.kustomize.Register(f, "kustomize overlay directory applied before checking (its kustomization.yaml lists helm-output.yaml)")
	f.StringVar(&o.kubeVersion, "kube-version", render.DefaultKubeVersion, "Kubernetes version the chart is rendered for")
	// text: the name of the table form before helm's formats, still accepted for scripts.
	bindOutputFlag(cmd, &o.output, []output.Format{output.Table, output.JSON, output.YAML}, map[string]output.Format{formatText: output.Table})
	return cmd
}

func runCheck(ctx context.Context, s *Settings, o *checkOptions, args []string) error {
	pr, err := newOverlay(s, o.kustomize)
	if err != nil {
		return err
	}
	m, err := checkManifest(s, o, args)
	if err != nil {
		return err
	}
	out, err := pr.Overlay([]byte(m))
	if err != nil {
		return overlayError(err)
	}
	rel, err := check.ReadRelease(strings.NewReader(string(out)), manifest.Limits{})
	if err != nil {
		return err
	}
	vs := check.Run(rel, nil)
	if len(args) == 1 && isReleaseName(args[0]) && rel.Conf != nil {
		// A deployed release: also say whether its namespace admits the Pods MR3 creates.
		if client, err := s.KubeClient(); err == nil {
			warnPodSecurity(ctx, s, client, m)
		}
	}
	if err := check.Write(s.IO.Out, vs, o.output); err != nil {
		return err
	}
	if len(vs) > 0 {
		return WithCode(ExitCheckFailed, fmt.Errorf("%d violation(s) of the spark-mr3 consistency rules", len(vs)))
	}
	return nil
}

// checkManifest is the deployed release's manifest when the argument names a release (not a
// path, no '/'), else the chart rendered with the values.
func checkManifest(s *Settings, o *checkOptions, args []string) (string, error) {
	if len(args) == 1 && isReleaseName(args[0]) {
		if o.values.given() {
			return "", UsageError("%s names a deployed release; -f/--set apply only to a CHART (give a path such as ./%s to check a chart directory)", args[0], args[0])
		}
		cfg, err := s.ActionConfig()
		if err != nil {
			return "", err
		}
		return render.Deployed(cfg, args[0])
	}
	ch, err := loadChart(s, append([]string{""}, args...), o.chartVersion, &o.registry)
	if err != nil {
		return "", err
	}
	vals, err := o.values.merge(s)
	if err != nil {
		return "", err
	}
	return render.Chart(ch, vals, render.ChartOptions{ReleaseName: "check", Namespace: s.Namespace(), KubeVersion: o.kubeVersion})
}

func isReleaseName(arg string) bool {
	if strings.ContainsAny(arg, "/\\") || strings.HasSuffix(arg, ".tgz") {
		return false
	}
	_, err := os.Stat(arg)
	return err != nil
}
