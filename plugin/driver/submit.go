package driver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/utils/clock"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"github.com/spark-mr3/spark-mr3/plugin/outside"
	"github.com/spark-mr3/spark-mr3/plugin/rollout"
)

// Verb is which driver command to run.
type Verb string

const (
	Submit Verb = "submit" // run-spark-submit.sh
	Shell  Verb = "shell"  // run-spark-shell.sh, interactive
)

// Driver commands in MR3's image, used when a driver Pod has no command annotation.
const (
	DefaultSubmitCommand = "/opt/mr3-run/spark/run-spark-submit.sh"
	DefaultShellCommand  = "/opt/mr3-run/spark/run-spark-shell.sh"
)

// Environment variables naming the local scripts for --local.
const (
	EnvSubmitScript = "SPARKMR3_SUBMIT_SCRIPT"
	EnvShellScript  = "SPARKMR3_SHELL_SCRIPT"
)

// CommandExitError is a driver command that ran and exited non-zero; the CLI exits with Code.
type CommandExitError struct {
	Code  int
	Where string
}

func (e *CommandExitError) Error() string {
	return fmt.Sprintf("driver command %s exited with code %d", e.Where, e.Code)
}

// Hooks observe a run, for benchmarks and tests.
type Hooks struct {
	// Ready is called when the wait ended with the release ready.
	Ready func(*rollout.Ready)
	// Started is called just before the driver command starts (the exec stream opens or the
	// local process starts).
	Started func(time.Time)
}

// Options is one `submit` or `shell`: wait for the release, pick a driver, run its command.
type Options struct {
	Verb      Verb
	Release   string
	Namespace string
	// Driver names the driver to use; empty picks one (see Select).
	Driver  string
	Timeout time.Duration
	// Args go to the driver command as they are (--driver-java-options, --jars, --conf, …);
	// Validate refuses any that MR3's script would re-split (CheckArgs).
	Args []string
	// Stdin passes standard input to the command. Off by default for submit (so an idle pipe in
	// a script cannot hold a job); always on for shell.
	Stdin bool
	// TTY, for shell, asks for a terminal when standard input is one.
	TTY bool
	// Local runs the driver on this machine instead of in a driver Pod.
	Local bool
	// Script is the local driver script (--local); default from SPARKMR3_SUBMIT_SCRIPT or
	// SPARKMR3_SHELL_SCRIPT.
	Script string
	// DriverHost is spark.driver.host for --local; default os.Hostname(). It is also the local
	// driver's DRIVER_NAME (MR3's script builds spark.ui.proxyBase from it).
	DriverHost string
	// DriverCores and DriverMemoryMB are SPARK_DRIVER_CORES and SPARK_DRIVER_MEMORY_MB for
	// --local, as given on the command line (positive integers); empty: those of the
	// release's first driver, else outside.DefaultDriverCores / DefaultDriverMemoryMB.
	DriverCores    string
	DriverMemoryMB string
	// Upload names local files to copy into the driver Pod before the job (each value may be
	// a comma-separated list); Spark arguments that name them are rewritten to their paths in
	// the Pod (see PlanUploads, RewriteArgs). Not with Local.
	Upload []string
	// Grace is how long an interrupted driver command gets between SIGTERM and SIGKILL
	// (DefaultGrace when 0), in a Pod as on this machine.
	Grace time.Duration
	// DryRun prints the command and environment (token masked) instead of running it.
	DryRun bool
	// Debug prints the same description to ErrOut before running.
	Debug bool

	IO         genericiooptions.IOStreams
	Clock      clock.Clock
	Getenv     func(string) string
	Environ    func() []string
	Hostname   func() (string, error)
	IsTerminal func(any) bool
	// Config reaches the cluster; Client is made from it by Complete when nil.
	Config *rest.Config
	Client kubernetes.Interface
	Hooks  Hooks

	tty          bool
	cores, memMB int
	uploads      []Upload
}

// Complete fills defaults from the environment.
func (o *Options) Complete() error {
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Environ == nil {
		o.Environ = os.Environ
	}
	if o.Hostname == nil {
		o.Hostname = os.Hostname
	}
	if o.IsTerminal == nil {
		o.IsTerminal = func(any) bool { return false }
	}
	if o.Verb == Shell {
		o.Stdin = true
		_, inFile := o.IO.In.(*os.File)
		_, outFile := o.IO.Out.(*os.File)
		o.tty = o.TTY && inFile && outFile && o.IsTerminal(o.IO.In)
	}
	if o.Local && o.Script == "" {
		env := EnvSubmitScript
		if o.Verb == Shell {
			env = EnvShellScript
		}
		o.Script = o.Getenv(env)
	}
	if o.Local && o.Script != "" {
		// Resolved once: the path checked is the path run (bash would look a bare name up
		// in PATH), and BASE_DIR is found from it.
		abs, err := filepath.Abs(o.Script)
		if err != nil {
			return fmt.Errorf("driver script %s: %w", o.Script, err)
		}
		o.Script = abs
	}
	if o.Local && o.DriverHost == "" {
		h, err := o.Hostname()
		if err != nil {
			return fmt.Errorf("find this machine's host name for spark.driver.host (pass --driver-host): %w", err)
		}
		o.DriverHost = h
	}
	if o.Client == nil && o.Config != nil {
		c, err := kubernetes.NewForConfig(o.Config)
		if err != nil {
			return fmt.Errorf("kubernetes client: %w", err)
		}
		o.Client = c
	}
	return nil
}

// Validate rejects bad input before anything touches the cluster.
func (o *Options) Validate() error {
	if o.Release == "" {
		return errors.New("a release name is required")
	}
	if errs := validation.IsDNS1123Subdomain(o.Release); len(errs) > 0 {
		return fmt.Errorf("release name %q: %s", o.Release, strings.Join(errs, "; "))
	}
	if o.Driver != "" {
		if errs := validation.IsDNS1123Label(o.Driver); len(errs) > 0 {
			return fmt.Errorf("--driver %q: %s", o.Driver, strings.Join(errs, "; "))
		}
	}
	if o.Timeout < 0 {
		return fmt.Errorf("--timeout %s: must not be negative", o.Timeout)
	}
	if err := CheckArgs(o.Args); err != nil {
		return err
	}
	if len(o.Upload) > 0 {
		if o.Local {
			return errors.New("--upload copies files into a driver Pod and --local runs the driver on this machine, where the files already are: leave out --upload and name the local paths in the Spark arguments")
		}
		ups, err := PlanUploads(o.Upload)
		if err != nil {
			return err
		}
		o.uploads = ups
	}
	if o.Local {
		if o.Driver != "" {
			return errors.New("--driver picks a driver Pod and --local runs the driver on this machine: use one of them")
		}
		if o.Script == "" {
			env := EnvSubmitScript
			if o.Verb == Shell {
				env = EnvShellScript
			}
			return fmt.Errorf("--local needs the driver script: pass --script or set %s", env)
		}
		if !o.DryRun {
			if err := checkScript(o.Script); err != nil {
				return err
			}
		}
		var err error
		if o.DriverCores != "" {
			if o.cores, err = outside.ParseDriverSize("--driver-cores", o.DriverCores); err != nil {
				return err
			}
		}
		if o.DriverMemoryMB != "" {
			if o.memMB, err = outside.ParseDriverSize("--driver-memory-mb", o.DriverMemoryMB); err != nil {
				return err
			}
		}
	} else if o.Script != "" || o.DriverHost != "" || o.DriverCores != "" || o.DriverMemoryMB != "" {
		return errors.New("--script, --driver-host, --driver-cores and --driver-memory-mb only apply with --local (a driver Pod has its own)")
	}
	if o.Client == nil || o.Config == nil {
		return errors.New("no cluster configuration")
	}
	return nil
}

// Run waits for the release, then runs the driver command; in kubernetes master mode it
// watches the DAGAppMaster beside it (withAMWatch). Errors: *CommandExitError for a non-zero
// exit, ErrInterrupted when ctx ended, *rollout.NotReadyError on timeout, *AMStoppedError when
// the DAGAppMaster's Pod is refused, *rollout.UnknownDriverError for a --driver the release
// lacks.
func (o *Options) Run(ctx context.Context) error {
	printer := rollout.NewPrinter(o.IO.ErrOut, o.IsTerminal(o.IO.ErrOut))
	var base *outside.BaseDir
	if o.Local {
		// Before waiting: a node without the release's env.sh and conf/ fails at once.
		if err := checkScript(o.Script); err == nil || !o.DryRun {
			b, err := outside.ReadBaseDir(BaseDirOf(o.Script), o.Release, o.Namespace)
			if err != nil {
				return err
			}
			base = b
		}
	}
	ready, err := rollout.Wait(ctx, o.Client, rollout.Target{
		Namespace: o.Namespace, Release: o.Release, Driver: o.Driver, SkipDrivers: o.Local,
	}, rollout.Options{Timeout: o.Timeout, Clock: o.Clock, Progress: printer.Event})
	if err != nil {
		if ctx.Err() != nil {
			return ErrInterrupted
		}
		return err
	}
	if o.Hooks.Ready != nil {
		o.Hooks.Ready(ready)
	}
	if o.Local {
		return o.runLocal(ctx, ready, base)
	}
	return o.runRemote(ctx, ready)
}

func (o *Options) started() {
	if o.Hooks.Started != nil {
		o.Hooks.Started(o.Clock.Now())
	}
}

func (o *Options) runRemote(ctx context.Context, ready *rollout.Ready) error {
	d, note, err := Select(ready.Drivers, o.Driver)
	if err != nil {
		return err
	}
	if note != "" {
		fmt.Fprintln(o.IO.ErrOut, note)
	}
	script := command(d, o.Verb)
	runDir, err := newRunDir(script, o.Verb)
	if err != nil {
		return err
	}
	container := Container(d.Pod)
	pod := d.Pod.Name
	where := fmt.Sprintf("in pod %s/%s container %s", d.Pod.Namespace, pod, container)
	args := o.Args
	ups := slices.Clone(o.uploads)
	if len(ups) > 0 {
		placeUploads(ups, runDir)
		var used []bool
		args, used = RewriteArgs(o.Args, ups)
		if err := CheckArgs(args); err != nil {
			return fmt.Errorf("--upload: the files' paths in the Pod (under %s, next to the driver script %s of pod %s/%s) would not reach spark-submit intact: %w; give the driver a script path without whitespace or glob characters",
				resultDir(script, o.Verb), script, d.Pod.Namespace, pod, err)
		}
		for i, u := range ups {
			if !used[i] {
				fmt.Fprintf(o.IO.ErrOut, "warning: --upload %s: no Spark argument names it; it is copied to %s\n", u.Local, u.Remote)
			}
		}
	}
	argv := BashCommand(script, args)
	if mode := MasterMode(o.Args); mode != "kubernetes" {
		if w := localAMMemoryWarning(d.Pod, container, ready.Conf, mode); w != "" {
			fmt.Fprintf(o.IO.ErrOut, "warning: %s\n", w)
		}
	}
	if o.DryRun || o.Debug {
		w := o.IO.Out
		if !o.DryRun {
			w = o.IO.ErrOut
		}
		fmt.Fprintf(w, "# %s (exec; the Pod's own environment applies)\n", where)
		for _, u := range ups {
			fmt.Fprintf(w, "# upload %s (%d bytes) to %s\n", shellQuote(u.Local), u.Size, u.Remote)
		}
		fmt.Fprintln(w, shellJoin(argv))
		if o.DryRun {
			return nil
		}
	}
	if len(ups) > 0 {
		if err := o.uploadFiles(ctx, pod, container, runDir, ups); err != nil {
			o.removeRunDir(ctx, pod, container, runDir)
			return err
		}
	}
	eo := ExecOptions{
		Namespace: d.Pod.Namespace, Pod: pod, Container: container, Command: wrapCommand(runDir, argv),
		Stdout: o.IO.Out, Stderr: o.IO.ErrOut,
	}
	if o.Stdin {
		eo.Stdin = o.IO.In
	}
	return o.withAMWatch(ctx, ready, where, func(jobCtx context.Context, onStart func()) error {
		eo.OnStart = onStart
		var code int
		var err error
		if o.tty {
			eo.TTY = true
			err = inTerminal(o.IO.In, o.IO.Out, func(sizes remotecommand.TerminalSizeQueue) error {
				eo.TerminalSizeQueue = sizes
				code, err = Exec(jobCtx, o.Config, eo)
				return err
			})
		} else {
			code, err = Exec(jobCtx, o.Config, eo)
		}
		if err != nil {
			// The exec has ended but the job may not have: stop it, unless the API server
			// refused the exec (then it never started).
			if why := stopReason(ctx, jobCtx, err); why != "" {
				o.stopRemote(ctx, pod, container, runDir, why)
			}
			return err
		}
		if code != 0 {
			return &CommandExitError{Code: code, Where: where}
		}
		return nil
	})
}

// stopReason says why a job whose exec ended with err must be stopped in the Pod, or "" when
// it need not: the user interrupted (ctx's cause: the signal), the DAGAppMaster watch stopped
// it (jobCtx ended, ctx did not), or the stream broke after the command started (MR3's tee
// dies with the stream, so the job would run on without a log). A refused exec request (an
// API status: RBAC, no such container) never started anything.
func stopReason(ctx, jobCtx context.Context, err error) string {
	switch {
	case ctx.Err() != nil:
		if cause := context.Cause(ctx); cause != nil && cause != context.Canceled {
			return cause.Error()
		}
		return "interrupted"
	case jobCtx.Err() != nil:
		return "the DAGAppMaster cannot start"
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return ""
	}
	return "the exec stream broke"
}

// Container is the driver Pod's container that runs the driver command: the one named
// contract.DriverContainer, else the first.
func Container(pod *corev1.Pod) string {
	for _, c := range pod.Spec.Containers {
		if c.Name == contract.DriverContainer {
			return c.Name
		}
	}
	if len(pod.Spec.Containers) > 0 {
		return pod.Spec.Containers[0].Name
	}
	return contract.DriverContainer
}

var plainWord = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// shellQuote quotes s for a POSIX shell, so a printed command can be pasted back as is.
func shellQuote(s string) string {
	if plainWord.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func shellJoin(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}
