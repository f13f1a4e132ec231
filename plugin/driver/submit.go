package driver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"

	"github.com/spark-mr3/spark-mr3/plugin/outside"
	"github.com/spark-mr3/spark-mr3/plugin/rollout"
	"github.com/spark-mr3/spark-mr3/plugin/token"
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
	// Args go to the driver command untouched (--driver-java-options, --jars, --conf, …).
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
	// DriverHost is spark.driver.host for --local; default os.Hostname().
	DriverHost string
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

	tty bool
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
			fi, err := os.Stat(o.Script)
			if err != nil {
				return fmt.Errorf("driver script: %w", err)
			}
			if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
				return fmt.Errorf("driver script %s is not an executable file", o.Script)
			}
		}
	} else if o.Script != "" || o.DriverHost != "" {
		return errors.New("--script and --driver-host only apply with --local")
	}
	if o.Client == nil || o.Config == nil {
		return errors.New("no cluster configuration")
	}
	return nil
}

// Run waits for the release, then runs the driver command. Errors: *CommandExitError for a
// non-zero exit, ErrInterrupted when ctx ended, *rollout.NotReadyError on timeout,
// *rollout.UnknownDriverError for a --driver the release lacks.
func (o *Options) Run(ctx context.Context) error {
	printer := rollout.NewPrinter(o.IO.ErrOut, o.IsTerminal(o.IO.ErrOut))
	var pre *Preconnect
	if !o.Local && !o.DryRun && o.Config != nil {
		// A connection for the exec, opened while waiting (nil: exec dials as kubectl does).
		if pre, _ = NewPreconnect(o.Config, o.Clock, DefaultRefresh); pre != nil {
			pre.Start(ctx)
			defer pre.Close()
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
		return o.runLocal(ctx, ready)
	}
	return o.runRemote(ctx, ready, pre)
}

func (o *Options) started() {
	if o.Hooks.Started != nil {
		o.Hooks.Started(o.Clock.Now())
	}
}

func (o *Options) runRemote(ctx context.Context, ready *rollout.Ready, pre *Preconnect) error {
	d, note, err := Select(ready.Drivers, o.Driver)
	if err != nil {
		return err
	}
	if note != "" {
		fmt.Fprintln(o.IO.ErrOut, note)
	}
	argv := append([]string{command(d, o.Verb)}, o.Args...)
	container := driverContainer(d.Pod)
	where := fmt.Sprintf("in pod %s/%s container %s", d.Pod.Namespace, d.Pod.Name, container)
	if o.DryRun || o.Debug {
		w := o.IO.Out
		if !o.DryRun {
			w = o.IO.ErrOut
		}
		fmt.Fprintf(w, "# %s (exec; the Pod's own environment applies)\n%s\n", where, shellJoin(argv))
		if o.DryRun {
			return nil
		}
	}
	eo := ExecOptions{
		Namespace: d.Pod.Namespace, Pod: d.Pod.Name, Container: container, Command: argv,
		Stdout: o.IO.Out, Stderr: o.IO.ErrOut, OnStart: o.started, Preconnect: pre,
	}
	if o.Stdin {
		eo.Stdin = o.IO.In
	}
	if o.tty {
		t, err := StartTerminal(o.IO.In.(*os.File), o.IO.Out.(*os.File))
		if err != nil {
			return err
		}
		defer t.Restore()
		eo.TTY, eo.TerminalSizeQueue = true, t.SizeQueue()
	}
	code, err := Exec(ctx, o.Config, eo)
	if err != nil {
		return err
	}
	if code != 0 {
		return &CommandExitError{Code: code, Where: where}
	}
	return nil
}

func driverContainer(pod *corev1.Pod) string {
	for _, c := range pod.Spec.Containers {
		if c.Name == rollout.DriverContainer {
			return c.Name
		}
	}
	if len(pod.Spec.Containers) > 0 {
		return pod.Spec.Containers[0].Name
	}
	return rollout.DriverContainer
}

// LocalCommand is the command line and extra environment of a driver outside Kubernetes.
type LocalCommand struct {
	Script string
	Args   []string
	// Env holds the variables added to this process's environment: the token and timestamp.
	Env []string
	// Warnings are problems the user should fix but that do not stop the run.
	Warnings []string
}

// BuildLocal makes the outside driver's command from the ready release: the token variables
// from the token Secret, spark.driver.host (checked against mr3.k8s.host.aliases), a free
// spark.driver.port, and the AM Service's address, each unless args already set it.
func BuildLocal(ready *rollout.Ready, script, driverHost string, args []string, freePort func() (int, error)) (*LocalCommand, error) {
	lc := &LocalCommand{Script: script}
	token := string(ready.TokenSecret.Data[rollout.TokenKey])
	ts := string(ready.TokenSecret.Data[rollout.TimestampKey])
	lc.Env = []string{rollout.TokenKey + "=" + token, rollout.TimestampKey + "=" + ts}

	var extra []string
	if !confGiven(args, driverHostConf) {
		extra = append(extra, "--conf", driverHostConf+"="+driverHost)
	}
	if net.ParseIP(driverHost) == nil {
		hosts, file, err := HostAliases(ready.Conf)
		switch {
		case err != nil:
			lc.Warnings = append(lc.Warnings, err.Error())
		case !slices.Contains(hosts, driverHost):
			where := "ConfigMap " + ready.Conf.Name
			if file != "" {
				where += " (" + file + ")"
			}
			lc.Warnings = append(lc.Warnings, fmt.Sprintf("host %s is not in %s of %s: executors will fail with java.net.UnknownHostException; add %s=<its IP> to the release's hostAliases, or pass --driver-host with an address they can resolve",
				driverHost, HostAliasesKey, where, driverHost))
		}
	}
	if !confGiven(args, driverPortConf) {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		extra = append(extra, "--conf", driverPortConf+"="+itoa(port))
	}
	amHost, amPort, exposure := outside.AMAddress(ready.AMService)
	switch exposure {
	case "clusterIP":
		lc.Warnings = append(lc.Warnings, fmt.Sprintf("Service %s has no external IP or load balancer address; using its cluster IP %s, which only the cluster network reaches",
			ready.AMService.Name, amHost))
	case "nodePort":
		lc.Warnings = append(lc.Warnings, fmt.Sprintf("Service %s is a NodePort Service: pass --conf %s=<a node address> --conf %s=%d",
			ready.AMService.Name, amHostConfKey, amPortConfKey, amPort))
		amHost = ""
	}
	if !confGiven(args, amHostConfKey) && amHost != "" {
		extra = append(extra, "--conf", amHostConfKey+"="+amHost)
	}
	if !confGiven(args, amPortConfKey) && amHost != "" && amPort != 0 {
		extra = append(extra, "--conf", amPortConfKey+"="+itoa(int(amPort)))
	}
	lc.Args = append(extra, args...)
	return lc, nil
}

// Describe shows the command for --dry-run and --debug, with the token masked.
func (lc *LocalCommand) Describe(w io.Writer) {
	fmt.Fprintln(w, "# on this machine, with these variables added to the environment:")
	for _, kv := range lc.Env {
		k, v, _ := strings.Cut(kv, "=")
		v = shellQuote(v)
		if k == rollout.TokenKey {
			v = token.Mask(v)
		}
		fmt.Fprintf(w, "%s=%s\n", k, v)
	}
	fmt.Fprintln(w, shellJoin(append([]string{lc.Script}, lc.Args...)))
}

func (o *Options) runLocal(ctx context.Context, ready *rollout.Ready) error {
	lc, err := BuildLocal(ready, o.Script, o.DriverHost, o.Args, FreePort)
	if err != nil {
		return err
	}
	for _, w := range lc.Warnings {
		fmt.Fprintf(o.IO.ErrOut, "warning: %s\n", w)
	}
	if o.DryRun {
		lc.Describe(o.IO.Out)
		return nil
	}
	if o.Debug {
		lc.Describe(o.IO.ErrOut)
	}
	env := withEnv(o.Environ(), lc.Env)
	var stdin io.Reader
	if o.Stdin {
		stdin = o.IO.In
	}
	code, err := RunLocal(ctx, LocalOptions{Script: lc.Script, Args: lc.Args, Env: env,
		Stdin: stdin, Stdout: o.IO.Out, Stderr: o.IO.ErrOut, OnStart: o.started})
	if err != nil {
		return err
	}
	if code != 0 {
		return &CommandExitError{Code: code, Where: lc.Script}
	}
	return nil
}

// withEnv returns base with vars set, replacing earlier values of the same names.
func withEnv(base, vars []string) []string {
	out := make([]string, 0, len(base)+len(vars))
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if !slices.ContainsFunc(vars, func(v string) bool { return strings.HasPrefix(v, k+"=") }) {
			out = append(out, kv)
		}
	}
	return append(out, vars...)
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
