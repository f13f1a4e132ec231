package cli

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/spark-mr3/spark-mr3/plugin/driver"
	"github.com/spark-mr3/spark-mr3/plugin/rollout"
)

func newSubmitCmd(s *Settings) *cobra.Command {
	return newDriverCmd(s, driver.Submit, &cobra.Command{
		Use:   "submit RELEASE [flags] [--] [SPARK_ARGS...]",
		Short: "Wait for a release, then run spark-submit in one of its drivers",
		Long: `submit waits (watching, not polling) until the release is ready — a driver Pod Running
and Ready, the token Secret, the conf ConfigMap and the AM Service in place — then runs
the driver's run-spark-submit.sh (the Pod's sparkmr3.io/submit-command annotation) in the
driver Pod and streams its output. SPARK_ARGS (--driver-java-options, --jars,
--driver-class-path, --conf, the application and its arguments) are passed through
untouched, one argument each; flags of submit must come before them, and "--" ends them.

Standard input is passed only with -i. The exit code is the driver command's own; MR3's
run-spark-submit.sh pipes spark-submit into tee, so it may exit 0 for a failed job.

With --local the driver runs on this machine instead (a driver outside Kubernetes): the
local script gets CLIENT_TO_AM_TOKEN_KEY and MR3_APPLICATION_ID_TIMESTAMP from the
release's token Secret, and --conf spark.driver.host, spark.driver.port (a free port) and
the AM Service address, unless SPARK_ARGS set them.

Exit codes: the driver command's code; 4 when the release is not ready before --timeout;
2 for bad input; 130 when interrupted; 1 for other failures.`,
		Example: `  helm sparkmr3 submit spark -n sparkmr3 -- --class org.apache.spark.examples.SparkPi \
      /opt/mr3-run/spark/examples/jars/spark-examples.jar 1000
  helm sparkmr3 submit spark --driver spark2 --timeout 10m -- --conf spark.executor.cores=2 app.jar
  helm sparkmr3 submit spark --dry-run -- --conf "spark.driver.extraJavaOptions=-Da=1 -Db=2" app.jar
  SPARKMR3_SUBMIT_SCRIPT=$HOME/mr3-run/spark/run-spark-submit.sh \
      helm sparkmr3 submit spark --local --driver-host gold0 -- app.jar`,
	})
}

// newDriverCmd wires the flags shared by submit and shell to driver.Options.
func newDriverCmd(s *Settings, verb driver.Verb, cmd *cobra.Command) *cobra.Command {
	o := &driver.Options{Verb: verb}
	cmd.Args = cobra.MinimumNArgs(1)
	// Spark's own options follow the release name; only this verb's flags right after it are
	// read here (see splitOwnFlags).
	cmd.Flags().SetInterspersed(false)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if strings.HasPrefix(args[0], "-") {
			return UsageError("expected the release name before Spark's arguments, got %q", args[0])
		}
		own, rest, err := splitOwnFlags(cmd.Flags(), args[1:])
		if err != nil {
			return UsageError("%v", err)
		}
		if err := cmd.Flags().Parse(own); err != nil {
			return UsageError("%v", err)
		}
		if help, _ := cmd.Flags().GetBool("help"); help {
			return cmd.Help()
		}
		o.Release, o.Args = args[0], rest
		o.Namespace = s.Namespace()
		o.Debug = s.Helm.Debug
		o.IO, o.Clock, o.Getenv, o.IsTerminal = s.IO, s.Clock, s.Getenv, s.IsTerminal
		cfg, err := s.RESTConfig()
		if err != nil {
			return err
		}
		o.Config = cfg
		if err := o.Complete(); err != nil {
			return err
		}
		if err := o.Validate(); err != nil {
			return WithCode(ExitUsage, err)
		}
		ctx, stop := signal.NotifyContext(contextOf(cmd), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return driverExit(explainClusterError(o.Run(ctx), s))
	}
	f := cmd.Flags()
	f.StringVar(&o.Driver, "driver", "", "driver (StatefulSet) to run in; default: the only driver, else the first ready one")
	f.DurationVar(&o.Timeout, "timeout", 5*time.Minute, "how long to wait for the release to be ready (0: no limit)")
	f.BoolVar(&o.Local, "local", false, "run the driver on this machine, outside Kubernetes")
	f.StringVar(&o.Script, "script", "", "local driver script for --local (default $"+scriptEnv(verb)+")")
	f.StringVar(&o.DriverHost, "driver-host", "", "spark.driver.host for --local (default: this machine's host name)")
	f.BoolVar(&o.DryRun, "dry-run", false, "print the command and environment (token masked) instead of running it")
	if verb == driver.Shell {
		f.BoolVar(&o.TTY, "tty", true, "use a terminal when standard input is one (raw mode; Ctrl-C goes to the shell)")
	} else {
		f.BoolVarP(&o.Stdin, "stdin", "i", false, "pass standard input to the driver command")
	}
	return cmd
}

func scriptEnv(v driver.Verb) string {
	if v == driver.Shell {
		return driver.EnvShellScript
	}
	return driver.EnvSubmitScript
}

func contextOf(cmd *cobra.Command) context.Context {
	if ctx := cmd.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}

// driverExit maps submit/shell errors to exit codes: the driver command's own code, 4 not
// ready, 2 unknown driver, 130 interrupted.
func driverExit(err error) error {
	if err == nil {
		return nil
	}
	var ce *driver.CommandExitError
	var ud *rollout.UnknownDriverError
	switch {
	case errors.As(err, &ce):
		return WithCode(ce.Code, err)
	case errors.Is(err, driver.ErrInterrupted) || isInterrupted(err):
		return WithCode(ExitInterrupted, err)
	case isNotReady(err):
		return WithCode(ExitNotReady, err)
	case errors.As(err, &ud):
		return WithCode(ExitUsage, err)
	}
	return WithCode(ExitError, err)
}

// splitOwnFlags splits what follows RELEASE into this command's flags and Spark's arguments:
// own flags are read up to the first argument that is not one of them; "--" ends them and is
// dropped. So `submit R --driver d --conf a=b app.jar` gives own [--driver d] and Spark
// [--conf a=b app.jar].
func splitOwnFlags(fs *pflag.FlagSet, args []string) (own, rest []string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return own, args[i+1:], nil
		}
		var f *pflag.Flag
		hasValue := false
		switch {
		case strings.HasPrefix(a, "--") && len(a) > 2:
			name, _, eq := strings.Cut(a[2:], "=")
			f, hasValue = fs.Lookup(name), eq
		case strings.HasPrefix(a, "-") && len(a) == 2:
			f = fs.ShorthandLookup(a[1:])
		}
		if f == nil {
			return own, args[i:], nil
		}
		own = append(own, a)
		if !hasValue && f.NoOptDefVal == "" {
			if i+1 >= len(args) {
				return nil, nil, errors.New("flag " + a + " needs a value")
			}
			i++
			own = append(own, args[i])
		}
	}
	return own, nil, nil
}
