package cli

import (
	"errors"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"helm.sh/helm/v3/pkg/cli/output"

	"github.com/spark-mr3/spark-mr3/plugin/driver"
	"github.com/spark-mr3/spark-mr3/plugin/logs"
)

func newLogsCmd(s *Settings) *cobra.Command {
	o := &logs.Options{}
	cmd := &cobra.Command{
		Use:   "logs RELEASE",
		Short: "List a driver's runs, print a run's driver log, or the DAGAppMaster's and ContainerWorkers' Pod logs",
		Long: `logs shows what a release's jobs wrote.

Without --run or --last it lists the runs of a driver, newest first. MR3's driver scripts
make one folder per run, spark-mr3-<start time>-<uuid>, under spark-submit-result/ and
spark-shell-result/ in the driver Pod (BASE_DIR/spark, BASE_DIR being the parent of the
folder of the Pod's sparkmr3.io/submit-command script); the list shows each run's ID, the
script that made it, its start time (the Pod's clock, UTC in MR3's image) and its log files.

--run ID (an ID the list shows) or --last (the newest run) prints that run's driver log:
the files in the run's spark-logs/ folder, where run-spark-submit.sh tees the job's output
(out-spark-submit.txt). run-spark-shell.sh keeps no copy of the shell's output, so shell
runs have no log. -f follows the log as it grows (tail -F), until Ctrl-C. Everything is read
inside the running driver Pod over exec (sh, cat and tail of the image). By default the chart
mounts emptyDir volumes there, so the runs go with the Pod (a restarted driver lists none);
with workDir.driverLogs it mounts the work-dir claim there instead, so the runs survive the
Pod and are listed and read the same way.

--am prints the DAGAppMaster's Pod log and --workers the ContainerWorkers' (both: all of
them), through the API; MR3 creates these Pods at run time, and they are found as status
and teardown find them. With several Pods each line starts with "[pod] "; with -f their
lines are interleaved as they come.

Exit codes: 0; 2 for bad input (a --run that is not a run ID: no "/" or ".."); 130 when
interrupted; 1 for other failures (no such run, no driver running, no DAGAppMaster yet).`,
		Example: `  helm sparkmr3 logs spark -n sparkmr3
  helm sparkmr3 logs spark --driver spark2 -o json
  helm sparkmr3 logs spark --last -f
  helm sparkmr3 logs spark --run spark-mr3-2026-11-30-16-45-46-4f1c2d3e-0a1b-4c5d-8e9f-001122334455
  helm sparkmr3 logs spark --am --workers -f`,
		Args: exactRelease,
		RunE: func(cmd *cobra.Command, args []string) error {
			picksLog := o.RunID != "" || o.Last || o.AM || o.Workers
			if cmd.Flags().Changed("output") && picksLog {
				return UsageError("--output formats the list of runs; --run, --last, --am and --workers print logs as they are: leave out -o")
			}
			if o.Follow && !picksLog {
				return UsageError("-f follows a log: add --last, --run ID, --am or --workers")
			}
			o.Namespace, o.Release, o.IO = s.Namespace(), args[0], s.IO
			if err := o.Validate(); err != nil {
				return WithCode(ExitUsage, err)
			}
			var err error
			if o.Config, o.Client, err = s.Clients(); err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(contextOf(cmd), os.Interrupt, syscall.SIGTERM)
			defer stop()
			err = o.Run(ctx) // cluster errors are explained for every verb (explainErrors)
			if errors.Is(err, driver.ErrInterrupted) {
				return WithCode(ExitInterrupted, err)
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Driver, "driver", "", "driver entry to read; default: the only driver, else the first running one")
	f.StringVar(&o.RunID, "run", "", "print the driver log of this run (an ID the list shows)")
	f.BoolVar(&o.Last, "last", false, "print the driver log of the newest run")
	f.BoolVarP(&o.Follow, "follow", "f", false, "keep printing as the log grows, until Ctrl-C")
	f.BoolVar(&o.AM, "am", false, "print the DAGAppMaster Pod's log")
	f.BoolVar(&o.Workers, "workers", false, "print the ContainerWorker Pods' logs")
	bindOutputFlag(cmd, &o.Format, []output.Format{output.Table, output.JSON, output.YAML}, nil)
	return cmd
}
