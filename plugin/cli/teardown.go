package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"helm.sh/helm/v3/pkg/cli/output"

	"github.com/spark-mr3/spark-mr3/plugin/teardown"
)

func newTeardownCmd(s *Settings) *cobra.Command {
	o := &teardown.Options{}
	var yes bool
	var format output.Format
	cmd := &cobra.Command{
		Use:   "teardown RELEASE",
		Short: "Uninstall a release and delete everything MR3 created for it at run time",
		Long: `teardown removes a release completely, in an order that strands nothing:

  1. the DAGAppMaster Deployment (mr3master-spark-<ts>-0) — of every token the release had,
     the current one and earlier ones; its ContainerWorker Pods are given --worker-timeout
     to go, then force-deleted (grace period 0);
  2. the driver StatefulSets, Pods and Services;
  3. the ConfigMaps and Services MR3 made (service-master-<ts>-0, and mr3conf-configmap-master,
     mr3conf-configmap-worker, service-worker unless another MR3 application in the namespace
     still uses them);
  4. the Helm release (helm uninstall, waiting until its objects are gone) and, unless
     --keep-data, its claims: the work dir's and the drivers' local-dir claims;
  5. the release's ClusterRoles, ClusterRoleBindings and, unless --keep-data, its
     PersistentVolume.

Only the release's own objects: its instance label and the chart's name label, Helm's
ownership annotations when present, and for cluster-scoped objects without them the exact
names the release has and a binding's subjects or a volume's claim in this namespace.
Objects labelled as the release's that fail these tests are listed and left alone.

It is safe to run again after an interruption, and it also cleans up after a plain
'helm uninstall' that left MR3's Pods behind. On a terminal it asks before deleting, naming
every claim and volume whose data would go with its reclaim policy; otherwise it needs --yes.
--dry-run prints that plan and deletes nothing; with -o json or -o yaml, as data.`,
		Example: `  helm sparkmr3 teardown spark -n sparkmr3
  helm sparkmr3 teardown spark -n sparkmr3 --dry-run
  helm sparkmr3 teardown spark -n sparkmr3 --dry-run -o json
  helm sparkmr3 teardown spark -n sparkmr3 --yes --keep-data
  helm sparkmr3 teardown spark -n sparkmr3 --yes --timeout 10m --worker-timeout 2m`,
		Args: exactRelease,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != output.Table && !o.DryRun {
				return UsageError("--output %s prints the plan of --dry-run: add --dry-run, or leave out -o to tear down", format)
			}
			interactive := s.IsTerminal(s.IO.In)
			if !yes && !interactive && !o.DryRun {
				return UsageError("teardown deletes release %q and its data without asking only with --yes (stdin is not a terminal)", args[0])
			}
			client, err := s.KubeClient()
			if err != nil {
				return err
			}
			cfg, err := s.ActionConfig()
			if err != nil {
				return err
			}
			o.Namespace, o.Release = s.Namespace(), args[0]
			o.Client, o.Helm, o.Clock, o.Out = client, cfg, s.Clock, s.IO.ErrOut
			if !yes && !o.DryRun {
				o.Confirm = func(p *teardown.Plan) (bool, error) {
					fmt.Fprint(s.IO.ErrOut, p.Summary())
					fmt.Fprint(s.IO.ErrOut, "Delete all of this? [y/N] ")
					line, err := bufio.NewReader(s.IO.In).ReadString('\n')
					if err != nil && line == "" {
						return false, nil
					}
					a := strings.ToLower(strings.TrimSpace(line))
					return a == "y" || a == "yes", nil
				}
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			res, err := o.Run(ctx)
			switch {
			case errors.Is(err, teardown.ErrNotConfirmed):
				fmt.Fprintln(s.IO.ErrOut, "nothing deleted")
				return WithCode(ExitError, err)
			case err != nil && isInterrupted(err):
				return WithCode(ExitInterrupted, fmt.Errorf("%w; run the same command again to finish", err))
			case err != nil:
				return err
			case o.DryRun:
				return format.Write(s.IO.Out, newPlanView(res.Plan))
			}
			fmt.Fprintf(s.IO.Out, "release %q in namespace %q torn down", o.Release, o.Namespace)
			if len(res.ForcedPods) > 0 {
				fmt.Fprintf(s.IO.Out, " (%d pod(s) force-deleted)", len(res.ForcedPods))
			}
			fmt.Fprintln(s.IO.Out)
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.KeepData, "keep-data", false, "keep the release's PersistentVolumeClaims (work dir, drivers' local dirs) and PersistentVolume")
	f.BoolVar(&o.DryRun, "dry-run", false, "print what would be deleted (and what is left alone) and delete nothing")
	bindOutputFlag(cmd, &format, []output.Format{output.Table, output.JSON, output.YAML}, nil)
	f.BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation (required when stdin is not a terminal)")
	f.DurationVar(&o.Timeout, "timeout", teardown.DefaultTimeout, "time to wait for everything to be deleted")
	f.DurationVar(&o.WorkerTimeout, "worker-timeout", teardown.DefaultWorkerTimeout, "time the DAGAppMaster gets to remove its ContainerWorker Pods before they are force-deleted")
	return cmd
}

// planView is the plan of --dry-run as printed: the plan's summary as a table, or its parts
// as JSON/YAML (the same lists the summary names).
type planView struct {
	plan          *teardown.Plan
	Release       string   `json:"release"`
	Namespace     string   `json:"namespace"`
	Revision      int      `json:"revision,omitempty"`
	Status        string   `json:"status,omitempty"`
	MR3Objects    []string `json:"mr3Objects"`
	Drivers       []string `json:"drivers"`
	TokenSecret   string   `json:"tokenSecret,omitempty"`
	ClusterScoped []string `json:"clusterScoped"`
	DataDeleted   []string `json:"dataDeleted"`
	DataKept      []string `json:"dataKept"`
	LeftAlone     []string `json:"leftAlone"`
	Problems      []string `json:"problems,omitempty"`
	DryRun        bool     `json:"dryRun"`
}

func newPlanView(p *teardown.Plan) *planView {
	v := &planView{plan: p, Release: p.Release, Namespace: p.Namespace, Revision: p.Revision, Status: p.Status,
		MR3Objects: []string{}, Drivers: []string{}, TokenSecret: p.TokenSecret,
		ClusterScoped: append([]string{}, p.ClusterScoped...), DataDeleted: append([]string{}, p.Data...),
		DataKept: append([]string{}, p.Kept...), LeftAlone: append([]string{}, p.LeftAlone...), DryRun: true}
	for _, d := range p.Drivers {
		v.Drivers = append(v.Drivers, "statefulset/"+d)
	}
	for _, d := range p.DriverServices {
		v.Drivers = append(v.Drivers, "service/"+d)
	}
	if p.MR3 != nil {
		v.MR3Objects = append(v.MR3Objects, p.MR3.Names()...)
		for _, u := range p.MR3.Unattributed {
			v.LeftAlone = append(v.LeftAlone, fmt.Sprintf("%s/%s: %s", strings.ToLower(u.Kind), u.Name, u.Reason))
		}
		v.Problems = p.MR3.Problems
	}
	return v
}

func (v *planView) WriteTable(w io.Writer) error {
	_, err := fmt.Fprint(w, v.plan.Summary()+"dry run: nothing was deleted\n")
	return err
}

func (v *planView) WriteJSON(w io.Writer) error { return output.EncodeJSON(w, v) }

func (v *planView) WriteYAML(w io.Writer) error { return output.EncodeYAML(w, v) }
