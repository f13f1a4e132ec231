package cli

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/spark-mr3/spark-mr3/plugin/teardown"
)

func newTeardownCmd(s *Settings) *cobra.Command {
	o := &teardown.Options{}
	var yes bool
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
--dry-run prints that plan and deletes nothing.`,
		Example: `  helm sparkmr3 teardown spark -n sparkmr3
  helm sparkmr3 teardown spark -n sparkmr3 --dry-run
  helm sparkmr3 teardown spark -n sparkmr3 --yes --keep-data
  helm sparkmr3 teardown spark -n sparkmr3 --yes --timeout 10m --worker-timeout 2m`,
		Args: exactRelease,
		RunE: func(cmd *cobra.Command, args []string) error {
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
				fmt.Fprint(s.IO.Out, res.Plan.Summary())
				fmt.Fprintln(s.IO.Out, "dry run: nothing was deleted")
				return nil
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
	f.BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation (required when stdin is not a terminal)")
	f.DurationVar(&o.Timeout, "timeout", teardown.DefaultTimeout, "time to wait for everything to be deleted")
	f.DurationVar(&o.WorkerTimeout, "worker-timeout", teardown.DefaultWorkerTimeout, "time the DAGAppMaster gets to remove its ContainerWorker Pods before they are force-deleted")
	return cmd
}
