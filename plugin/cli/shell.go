package cli

import (
	"github.com/spf13/cobra"

	"github.com/spark-mr3/spark-mr3/plugin/driver"
)

func newShellCmd(s *Settings) *cobra.Command {
	return newDriverCmd(s, driver.Shell, &cobra.Command{
		Use:   "shell RELEASE [flags] [--] [SPARK_ARGS...]",
		Short: "Wait for a release, then open spark-shell in one of its drivers",
		Long: `shell waits like submit, then runs the driver's run-spark-shell.sh (the Pod's
sparkmr3.io/shell-command annotation) in the driver Pod as "/bin/bash -o pipefail SCRIPT
SPARK_ARGS..." with standard input attached. When standard input is a terminal, the shell
gets a terminal too: raw mode, so Ctrl-C is a key for spark-shell (it does not stop shell),
and window resizes follow. A SIGINT, SIGTERM or SIGHUP (the terminal closed) sent to this
process, or a broken exec stream, stops spark-shell in the Pod as submit does (SIGTERM to its
process group, SIGKILL 10 s later; see submit --help), and shell exits 130 (SIGINT), 143
(SIGTERM) or 129 (SIGHUP). --upload copies
local files into the driver Pod first and rewrites the SPARK_ARGS naming them, as for submit
(the run dir is under spark-shell-result).
SPARK_ARGS are checked as submit checks them: an argument MR3's script would not pass on
intact (empty, whitespace, * ? [, --master, an option without its value, "--") is refused
before anything runs (exit 2).
With --local, spark-shell runs on this machine (see submit --help: BASE_DIR, --driver-cores,
--driver-memory-mb).
Without --localthread or --localprocess, shell watches the DAGAppMaster's Deployment as
submit does, and ends spark-shell with exit 4 when the API server refuses its Pod (e.g.
PodSecurity restricted; see submit --help).

Exit codes: spark-shell's own code; 4 when the release is not ready before --timeout, or
when the DAGAppMaster's Pod is refused; 2 for bad input; 130 when interrupted (SIGINT), 143
on SIGTERM; 1 for other failures.`,
		Example: `  helm sparkmr3 shell spark -n sparkmr3
  helm sparkmr3 shell spark --driver spark2 -- --conf spark.executor.memory=8g
  helm sparkmr3 shell spark --upload ./udfs.jar -- --jars ./udfs.jar
  echo 'spark.range(10).count()' | helm sparkmr3 shell spark`,
	})
}
