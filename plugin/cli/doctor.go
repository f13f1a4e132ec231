package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/cli/output"
	"k8s.io/client-go/rest"

	"github.com/spark-mr3/spark-mr3/plugin/check/render"
	"github.com/spark-mr3/spark-mr3/plugin/doctor"
	"github.com/spark-mr3/spark-mr3/plugin/postrender"
	"github.com/spark-mr3/spark-mr3/plugin/status"
)

// doctorRelease is the release name the chart is rendered with when doctor has no RELEASE:
// the name of the README's examples. Only object names in messages depend on it.
const doctorRelease = "spark"

// doctorOptions are the flags of `doctor`.
type doctorOptions struct {
	values          valueFlags
	kustomize       postrender.Flags
	createNamespace bool
	timeout         time.Duration
	output          output.Format
	chartVersion    string
	registry        registryFlags
}

func newDoctorCmd(s *Settings) *cobra.Command {
	o := &doctorOptions{}
	cmd := &cobra.Command{
		Use:   "doctor [RELEASE [CHART]]",
		Short: "Check the cluster for what Spark on MR3 needs, before installing (and an installed release)",
		Long: `doctor checks, before anything is installed, the prerequisites of Spark on MR3 and the
failures users hit, one line per check: ok, warn or fail, with the fix. It changes nothing.

  api-server       the API server answers (and runs a version the chart supports)
  swap             what each node's status reports about swap (status.nodeInfo.swap), else its
                   kubelet's failSwapOn (configz); a node neither tells about cannot be judged
                   from the API, and the line says so
  namespace        the namespace exists (or --create-namespace will make it)
  permissions      every permission install needs, asked of the API server's authorizer
                   (SelfSubjectAccessReview) for your credentials: each missing verb/resource
  rbac-escalation  you may create the chart's Roles and bindings (RBAC refuses to grant
                   what the creator does not hold, unless escalate/bind)
  pod-security     the namespace's PodSecurity level admits MR3's own Pods
  storage          the release's claims can bind (a default StorageClass, named classes)
  external-ips     the AM Service's externalIPs are admitted (server-side dry run)
  host-aliases     no host alias name is also a Service of the namespace

It checks what install WOULD apply: CHART (a directory, archive, repo/name or oci:// reference,
as install takes it; default: the chart shipped with the plugin) rendered with the -f/--set
values and the --kustomize overlay (as release "spark" when RELEASE is not given).
With RELEASE and no CHART, values or overlay, an installed release is checked with its own
manifest, and three more checks run: release (deployed), drivers (every driver Pod ready),
token (the Secret the drivers read). It exits 1 when a check fails, 0 otherwise (warnings
included).`,
		Example: `  helm sparkmr3 doctor -n sparkmr3 --create-namespace -f values.yaml
  helm sparkmr3 doctor spark oci://registry.example.com/charts/spark-mr3 --version 0.1.0 -n sparkmr3 -f values.yaml
  helm sparkmr3 doctor spark -n sparkmr3
  helm sparkmr3 doctor -n sparkmr3 -o json | jq '.checks[] | select(.status != "ok")'`,
		Args:              cobra.MaximumNArgs(2),
		ValidArgsFunction: completeReleases(s),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDoctor(contextOf(cmd), s, o, args)
		},
	}
	f := cmd.Flags()
	o.values.register(f)
	o.kustomize.Register(f, "kustomize overlay directory applied to the rendered manifests, as install applies it (its kustomization.yaml lists helm-output.yaml)")
	f.BoolVar(&o.createNamespace, "create-namespace", false, "the namespace will be created by install --create-namespace: check the permission to create it")
	f.StringVar(&o.chartVersion, "version", "", "chart version constraint when CHART is a repository reference")
	o.registry.register(f)
	f.DurationVar(&o.timeout, "timeout", 30*time.Second, "time allowed for all checks (an API server that accepts connections but does not answer fails api-server then)")
	bindOutputFlag(cmd, &o.output, []output.Format{output.Table, output.JSON, output.YAML}, nil)
	return cmd
}

func runDoctor(ctx context.Context, s *Settings, o *doctorOptions, args []string) error {
	if o.timeout <= 0 {
		return UsageError("--timeout %s: must be positive", o.timeout)
	}
	name := doctorRelease
	if len(args) >= 1 {
		name = args[0]
		if err := chartutil.ValidateReleaseName(name); err != nil {
			return UsageError("release name %q (the RELEASE argument): %v; use lower-case letters, digits and '-', at most 53 characters", name, err)
		}
	}
	var vals map[string]any
	if o.values.given() {
		var err error
		if vals, err = o.values.merge(s); err != nil {
			return err
		}
	}
	ch, err := loadChart(s, args, o.chartVersion, &o.registry)
	if err != nil {
		return err
	}
	chartGiven := len(args) == 2 && args[1] != ""
	overlay, err := newOverlay(s, o.kustomize)
	if err != nil {
		return err
	}
	d := &doctor.Options{Namespace: s.Namespace(), CreateNamespace: o.createNamespace, HelmDriver: s.Getenv("HELM_DRIVER"),
		Target: doctor.APITarget{Context: s.Helm.KubeContext, Kubeconfig: s.Helm.KubeConfig}}
	if d.Target.Kubeconfig == "" {
		d.Target.Kubeconfig = s.Getenv("KUBECONFIG")
	}
	if d.Target.Context == "" {
		if raw, err := s.Helm.RESTClientGetter().ToRawKubeConfigLoader().RawConfig(); err == nil {
			d.Target.Context = raw.CurrentContext
		}
	}
	if ch.Metadata != nil {
		d.KubeVersionConstraint = ch.Metadata.KubeVersion
	}
	var cfg *rest.Config
	cfg, d.Client, d.ClientErr = s.Clients()
	if cfg != nil {
		d.Target.Server = cfg.Host
	}
	renderChart := func() (string, error) {
		m, err := render.Chart(ch, vals, render.ChartOptions{ReleaseName: name, Namespace: s.Namespace()})
		if err != nil {
			return "", applyError(err) // values the chart refuses: exit 2, as install
		}
		out, err := overlay.Overlay([]byte(m))
		if err != nil {
			return "", overlayError(err)
		}
		return string(out), nil
	}
	if len(args) == 0 || chartGiven || o.values.given() || o.kustomize.Dir != "" {
		// Rendered before any cluster access: values the chart refuses are bad input (exit 2)
		// whether or not the cluster answers.
		m, err := renderChart()
		if err != nil {
			return err
		}
		d.Manifest = func(context.Context) (string, error) { return m, nil }
	}
	if len(args) >= 1 {
		d.Release = name
		d.Status = func(ctx context.Context) (*status.Report, error) {
			cfg, err := s.ActionConfig()
			if err != nil {
				return nil, err
			}
			return (&status.Options{Namespace: s.Namespace(), Release: name, Client: d.Client, Helm: cfg, Clock: s.Clock}).Run(ctx)
		}
		if !chartGiven && !o.values.given() && o.kustomize.Dir == "" {
			// An installed release is checked with what it has; one not installed yet with
			// the chart's defaults, and so is one whose record cannot be read (no right to
			// Helm's Secrets): the release line then says why, the permissions line what is
			// missing.
			d.Manifest = func(context.Context) (string, error) {
				cfg, err := s.ActionConfig()
				if err != nil {
					return renderChart()
				}
				m, err := render.Deployed(cfg, name)
				if err != nil {
					return renderChart()
				}
				return m, nil
			}
		}
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	rep, err := d.Run(ctx)
	if err != nil {
		return err
	}
	if err := o.output.Write(s.IO.Out, rep); err != nil {
		return err
	}
	if rep.Failed > 0 {
		// Exit 1 as the issue asks ("exit 0/1"): a failed prerequisite is a failure of the
		// cluster, not a consistency rule of the chart (check's 3).
		return WithCode(ExitError, fmt.Errorf("%d of %d checks failed (the lines marked fail say how to fix each)", rep.Failed, len(rep.Checks)))
	}
	return nil
}
