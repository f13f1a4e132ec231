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
	"github.com/spark-mr3/spark-mr3/plugin/outside"
	"github.com/spark-mr3/spark-mr3/plugin/rollout"
)

func newSubmitCmd(s *Settings) *cobra.Command {
	return newDriverCmd(s, driver.Submit, &cobra.Command{
		Use:   "submit RELEASE [flags] [--] [SPARK_ARGS...]",
		Short: "Wait for a release, then run spark-submit in one of its drivers",
		Long: `submit waits (watching, not polling) until the release is ready — a driver Pod Running
and Ready, the token Secret, the conf ConfigMap and the AM Service in place — then runs
the driver's run-spark-submit.sh (the Pod's sparkmr3.io/submit-command annotation) in the
driver Pod as "/bin/bash -o pipefail SCRIPT SPARK_ARGS..." and streams its output. Flags of
submit come first, then an optional "--", then SPARK_ARGS (--driver-java-options, --jars,
--driver-class-path, --conf, --localthread or --localprocess, the application and its
arguments), one argument each.

MR3's script re-splits its arguments (an unquoted $@), so before anything runs submit
refuses (exit 2) every SPARK_ARG that would not arrive intact: an empty one, one with
whitespace or a glob character (* ? [), --master (the script drops it and the next word),
--jars, --driver-java-options or --driver-class-path as the last argument (the script
then loops forever), --driver-java-options=X and --driver-class-path=X (they would replace
the script's own), and a "--" among them. Put such a value in the release's values instead
(spark.extraProperties, rendered into spark-defaults.conf; e.g. several JVM options as
spark.driver.extraJavaOptions), or in a file inside the Pod passed with --properties-file.

Standard input is passed only with -i. The exit code is spark-submit's: with pipefail the
script's "spark-submit ... | tee" pipeline fails when spark-submit fails.

--upload PATH (repeat it, or give a comma-separated list) copies local files into the driver
Pod first, as one tar stream over exec (unpacked by the image's tar), into a run dir of
their own under MR3's result dir (BASE_DIR/spark/spark-submit-result/.sparkmr3-run-ID, BASE_DIR
being the parent of the driver script's folder: a volume the chart always mounts writable),
and rewrites every SPARK_ARG naming an uploaded file (the same local path, however written)
to its path there: a whole argument, or an entry of a --jars, --files, --py-files or
--archives list. No object store is needed. The run dir is removed when the job ends or is
stopped. submit refuses (exit 2, nothing copied) a missing file, a directory or other
non-regular file, a file name with whitespace, a glob character or a backslash (MR3's script
would re-split it), a comma or a '#' (list separator, Spark's alias mark), two files with the
same name, and --upload with --local. An entry's #alias in a list is kept.

Interrupting submit stops the job in the Pod too. The driver command runs in a process group
of its own (a bash wrapper records its id in the run dir); on SIGINT (Ctrl-C), SIGTERM or
SIGHUP (the terminal or SSH session closed) submit ends the exec stream and, with a second exec, sends SIGTERM to that group, then
SIGKILL 10 s later, and removes the run dir; it exits 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP. The
same happens when the exec stream breaks (MR3's tee dies with it, so the job would run on
without a log). A submit killed by SIGKILL cannot do this: the job then runs to its end.

With --localthread or --localprocess the DAGAppMaster runs inside the driver Pod: submit
warns when the Pod's memory limit cannot hold the driver heap (SPARK_DRIVER_MEMORY_MB)
plus mr3.am.resource.memory.mb.

With --local the driver runs on this machine instead (a driver outside Kubernetes). The
script (--script, else $SPARKMR3_SUBMIT_SCRIPT) is made an absolute path once, and MR3's
BASE_DIR is the parent of its folder: BASE_DIR/env.sh and BASE_DIR/conf/ must be the
release's ("helm sparkmr3 env RELEASE --write-dir BASE_DIR" writes them). submit refuses
(exit 2) when the -Dmr3.k8s.* options MR3's script builds from that env.sh (namespace,
ConfigMap, service accounts, image, Secret names, ...) differ from the release's, creates
mr3.am.staging-dir (conf/mr3-site.xml) when missing, and warns
when no DAGAppMaster runs yet (MR3 recommends that a driver inside Kubernetes starts it:
submit once without --local). The script gets CLIENT_TO_AM_TOKEN_KEY and
MR3_APPLICATION_ID_TIMESTAMP from the release's token Secret, DRIVER_NAME (the driver
host), SPARK_DRIVER_CORES and SPARK_DRIVER_MEMORY_MB (--driver-cores, --driver-memory-mb;
default: those of the release's first driver, else 1 and 1024), and --conf
spark.driver.host, spark.driver.port (a free port) and the AM Service address unless
SPARK_ARGS set them. It runs in its own process group (unless it reads a terminal): an
interrupt sends SIGTERM to the whole group, SIGKILL 10 s later.

Unless SPARK_ARGS hold --localthread or --localprocess, MR3 runs the DAGAppMaster in a Pod of
its own (Deployment mr3master-spark-TIMESTAMP-0, the timestamp of the release's token
Secret), which the API server may refuse: PodSecurity (MR3's Pods carry no security context,
so a namespace labelled pod-security.kubernetes.io/enforce=restricted refuses them), a
ResourceQuota, an admission webhook. MR3's client would wait for it until its creation
timeout (mr3.k8s.pod.creation.timeout.ms), so submit watches that Deployment beside the job
(one list and one watch of the namespace's Deployments) and, as soon as it reports that its
Pod cannot be created, stops the driver command (as on an interrupt: the exec ends; with
--local the process group gets SIGTERM) and exits 4 with the refusal and its fix (for
PodSecurity: the namespace label MR3's Pods need). When Deployments cannot be watched
(RBAC), the job runs unwatched.

Exit codes: spark-submit's; 4 when the release is not ready before --timeout, or when the
DAGAppMaster's Pod is refused (the job is stopped); 2 for bad input; 130 when interrupted
(SIGINT), 143 on SIGTERM, 129 on SIGHUP; 1 for other failures.`,
		Example: `  helm sparkmr3 submit spark -n sparkmr3 -- --class org.apache.spark.examples.SparkPi \
      /opt/mr3-run/spark/examples/jars/spark-examples.jar 1000
  helm sparkmr3 submit spark --driver spark2 --timeout 10m -- --conf spark.executor.cores=2 app.jar
  helm sparkmr3 submit spark --upload ./app.jar,./dep.jar -- --jars ./dep.jar --class com.example.Main ./app.jar
  helm sparkmr3 submit spark --dry-run -- --conf spark.driver.extraJavaOptions=-Dconfig=prod app.jar
  helm sparkmr3 env spark -n sparkmr3 --write-dir $HOME/mr3-run
  helm sparkmr3 submit spark -n sparkmr3 --local --script $HOME/mr3-run/spark/run-spark-submit.sh \
      --driver-host gold0 --driver-memory-mb 4096 -- app.jar`,
	})
}

// newDriverCmd wires the flags shared by submit and shell to driver.Options.
func newDriverCmd(s *Settings, verb driver.Verb, cmd *cobra.Command) *cobra.Command {
	o := &driver.Options{Verb: verb}
	cmd.Args = cobra.MinimumNArgs(1)
	// Spark's own options follow the release name; only this verb's flags right after it are
	// read here (see splitOwnFlags).
	// When completing, cobra must see them as flags (it hands a flag's name over to no one
	// otherwise), and nothing runs.
	cmd.Flags().SetInterspersed(s.Completing)
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
		// Before anything touches the cluster: an argument MR3's script would mangle.
		if err := driver.CheckArgs(rest); err != nil {
			return WithCode(ExitUsage, err)
		}
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
		ctx, stop := signalContext(contextOf(cmd))
		defer stop()
		return driverExit(explainClusterError(o.Run(ctx), s), context.Cause(ctx))
	}
	f := cmd.Flags()
	f.StringVar(&o.Driver, "driver", "", "driver entry (drivers[].name) to run in; default: the only driver, else the first ready one")
	f.DurationVar(&o.Timeout, "timeout", 5*time.Minute, "how long to wait for the release to be ready (0: no limit)")
	f.BoolVar(&o.Local, "local", false, "run the driver on this machine, outside Kubernetes")
	f.StringVar(&o.Script, "script", "", "local driver script for --local (default $"+scriptEnv(verb)+")")
	f.StringVar(&o.DriverHost, "driver-host", "", "spark.driver.host and DRIVER_NAME for --local (default: this machine's host name)")
	f.StringVar(&o.DriverCores, "driver-cores", "", "SPARK_DRIVER_CORES for --local (default: the release's first driver's, else 1)")
	f.StringVar(&o.DriverMemoryMB, "driver-memory-mb", "", "SPARK_DRIVER_MEMORY_MB (driver heap, MiB) for --local (default: the release's first driver's, else 1024)")
	f.StringArrayVar(&o.Upload, "upload", nil, "local file to copy into the driver Pod (repeat, or a comma-separated list); Spark arguments naming it get its path in the Pod")
	f.BoolVar(&o.DryRun, "dry-run", false, "print the command line and environment (token masked) instead of running it")
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

// signalError is why a verb's context ended: a signal this process received.
type signalError struct{ sig os.Signal }

func (e *signalError) Error() string {
	switch e.sig {
	case syscall.SIGTERM:
		return "terminated (SIGTERM)"
	case syscall.SIGHUP:
		return "hung up (SIGHUP)"
	}
	return "interrupted (SIGINT)"
}

// signalContext is signal.NotifyContext for SIGINT, SIGTERM and SIGHUP that keeps which signal came as
// the context's cause (context.Cause): the exit code and the messages depend on it. Later
// signals are swallowed until stop, so a second Ctrl-C cannot cut short the stopping of the
// job in the Pod (bounded by its grace period).
func signalContext(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-ch:
			cancel(&signalError{sig: sig})
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel(context.Canceled)
	}
}

// driverExit maps submit/shell errors to exit codes: the driver command's own code, 4 not
// ready or the DAGAppMaster's Pod refused, 2 unknown driver or a refused BASE_DIR/release, 130
// interrupted (SIGINT), 143 terminated (SIGTERM), 129 hung up (SIGHUP: the terminal or SSH
// session closed); cause is the verb's context's cause.
func driverExit(err, cause error) error {
	if err == nil {
		return nil
	}
	var se *signalError
	if errors.As(cause, &se) && se.sig != os.Interrupt && (errors.Is(err, driver.ErrInterrupted) || isInterrupted(err)) {
		if se.sig == syscall.SIGHUP {
			return WithCode(ExitHangup, err)
		}
		return WithCode(ExitTerminated, err)
	}
	var ce *driver.CommandExitError
	var ud *rollout.UnknownDriverError
	var refused *outside.Refusal
	switch {
	case errors.As(err, &ce):
		return WithCode(ce.Code, err)
	case errors.As(err, &refused):
		return WithCode(ExitUsage, err)
	case rollout.IsAMRefused(err):
		// The DAGAppMaster cannot start: the job stopped, as a release that is not ready.
		return WithCode(ExitNotReady, err)
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
