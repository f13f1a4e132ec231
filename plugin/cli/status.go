package cli

import (
	"errors"

	"github.com/spf13/cobra"
	"helm.sh/helm/v3/pkg/cli/output"

	"github.com/spark-mr3/spark-mr3/plugin/status"
)

func newStatusCmd(s *Settings) *cobra.Command {
	var format output.Format
	cmd := &cobra.Command{
		Use:   "status RELEASE",
		Short: "Show a release, its drivers, and the DAGAppMaster and ContainerWorkers MR3 made for it",
		Long: `status shows the Helm release (revision, state, chart, last update), each driver Pod,
and the Pods that MR3 created at run time: the DAGAppMaster and its ContainerWorkers, plus
the ConfigMaps and Services MR3 made. They are found by what they use (the release's
ServiceAccounts, conf ConfigMap and Secrets) and by every MR3_APPLICATION_ID_TIMESTAMP the
release had, so a DAGAppMaster left from an earlier token (--rotate-token, helm rollback) is
shown too, marked as such. The DAGAppMaster token is never printed.`,
		Example: `  helm sparkmr3 status spark -n sparkmr3
  helm sparkmr3 status spark -n sparkmr3 -o json | jq '.containerWorkers | length'`,
		Args: exactRelease,
		RunE: func(cmd *cobra.Command, args []string) error {
			client, err := s.KubeClient()
			if err != nil {
				return err
			}
			cfg, err := s.ActionConfig()
			if err != nil {
				return err
			}
			o := &status.Options{Namespace: s.Namespace(), Release: args[0], Client: client, Helm: cfg, Clock: s.Clock}
			rep, err := o.Run(cmd.Context())
			if err != nil {
				if errors.Is(err, status.ErrNotFound) {
					return WithCode(ExitError, err)
				}
				return err
			}
			return status.Write(s.IO.Out, rep, format)
		},
	}
	bindOutputFlag(cmd, &format, []output.Format{output.Table, output.JSON, output.YAML}, nil)
	return cmd
}

// exactRelease accepts exactly one argument, the release name, with a usage error otherwise.
func exactRelease(_ *cobra.Command, args []string) error {
	if len(args) != 1 || args[0] == "" {
		return UsageError("expected exactly one argument, the release name (got %d)", len(args))
	}
	return nil
}
