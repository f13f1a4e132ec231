package logs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"helm.sh/helm/v3/pkg/cli/output"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/spark-mr3/spark-mr3/plugin/driver"
	"github.com/spark-mr3/spark-mr3/plugin/mr3runtime"
)

// Options is one `logs`: list a driver's runs, print one run's driver log, or print the
// DAGAppMaster's / ContainerWorkers' Pod logs.
type Options struct {
	Namespace string
	Release   string
	// Driver is the driver entry's name; empty picks one (PickDriver).
	Driver string
	// RunID is the run to print (--run); Last prints the newest.
	RunID string
	Last  bool
	// Follow keeps printing as the log grows (tail -F, or pods/log follow), until interrupted.
	Follow bool
	// AM and Workers print the DAGAppMaster's and the ContainerWorkers' Pod logs instead.
	AM, Workers bool
	// Format is the list's format.
	Format output.Format

	IO     genericiooptions.IOStreams
	Client kubernetes.Interface
	Config *rest.Config
	// Exec runs a command in the driver container; default driver.Exec through Config.
	Exec func(ctx context.Context, d Driver, argv []string, stdout, stderr io.Writer) (int, error)
}

// Validate refuses contradictory flags and a malformed --driver or --run before anything
// touches the cluster.
func (o *Options) Validate() error {
	if err := ValidateNames(o.Release, o.Driver); err != nil {
		return err
	}
	if o.RunID != "" && o.Last {
		return errors.New("--run names a run and --last picks the newest: use one of them")
	}
	if o.RunID != "" {
		if err := CheckRunID(o.RunID); err != nil {
			return err
		}
	}
	if (o.AM || o.Workers) && (o.Driver != "" || o.RunID != "" || o.Last) {
		return errors.New("--am and --workers print the Pod logs of MR3's DAGAppMaster and ContainerWorkers, which belong to no driver or run: leave out --driver, --run and --last")
	}
	return nil
}

// ValidateNames refuses a RELEASE argument or --driver value that cannot name a release or a
// driver entry (logs and ui), before anything touches the cluster.
func ValidateNames(release, driver string) error {
	if errs := validation.IsDNS1123Subdomain(release); len(errs) > 0 {
		return fmt.Errorf("release name %q: %s", release, strings.Join(errs, "; "))
	}
	if driver != "" {
		if errs := validation.IsDNS1123Label(driver); len(errs) > 0 {
			return fmt.Errorf("--driver %q is not a driver name: %s", driver, strings.Join(errs, "; "))
		}
	}
	return nil
}

// Run does what the options say. Errors: driver.ErrInterrupted when ctx ended.
func (o *Options) Run(ctx context.Context) error {
	if o.Client == nil {
		return errors.New("no cluster configuration")
	}
	err := o.run(ctx)
	if ctx.Err() != nil {
		return driver.ErrInterrupted
	}
	return err
}

func (o *Options) run(ctx context.Context) error {
	if o.AM || o.Workers {
		return o.runtimeLogs(ctx)
	}
	drivers, err := FindDrivers(ctx, o.Client, o.Namespace, o.Release)
	if err != nil {
		return err
	}
	d, note, err := PickDriver(drivers, o.Driver, o.Release, o.Namespace)
	if err != nil {
		return err
	}
	if note != "" {
		fmt.Fprintln(o.IO.ErrOut, note)
	}
	exec := ExecIn(o.Config, d)
	if o.Exec != nil {
		exec = func(ctx context.Context, argv []string, stdout, stderr io.Writer) (int, error) {
			return o.Exec(ctx, d, argv, stdout, stderr)
		}
	}
	runs, err := ListRuns(ctx, exec, ResultDirs(d))
	if err != nil {
		return fmt.Errorf("driver %s (Pod %s): %w", d.Name, d.Pod.Name, err)
	}
	if o.RunID == "" && !o.Last {
		return o.Format.Write(o.IO.Out, &RunList{Release: o.Release, Driver: d.Name, Pod: d.Pod.Name, Runs: runs})
	}
	r, err := FindRun(runs, o.RunID, d.Name)
	if err != nil {
		return err
	}
	if o.Last {
		fmt.Fprintf(o.IO.ErrOut, "run %s (%s) of driver %s\n", r.ID, r.Kind, d.Name)
	}
	return ShowLog(ctx, exec, r, o.Follow, o.IO.Out, o.IO.ErrOut)
}

func (o *Options) runtimeLogs(ctx context.Context) error {
	objs, err := mr3runtime.Find(ctx, o.Client, o.Namespace, o.Release)
	if err != nil {
		return err
	}
	pods := objs.AMPods[:len(objs.AMPods):len(objs.AMPods)]
	var what []string
	if o.AM {
		what = append(what, "DAGAppMaster")
	} else {
		pods = nil
	}
	if o.Workers {
		pods = append(pods, objs.WorkerPods...)
		what = append(what, "ContainerWorker")
	}
	if len(pods) == 0 {
		return fmt.Errorf("release %q has no %s Pod in namespace %q: MR3 creates the DAGAppMaster with the first job of a driver (kubernetes master mode) and the ContainerWorkers as jobs need them; 'helm sparkmr3 status %s' shows what runs",
			o.Release, strings.Join(what, " or "), o.Namespace, o.Release)
	}
	return PodLogs(ctx, o.Client, pods, o.Follow, o.IO.Out)
}

// ExecIn runs commands in d's driver container through cfg, with client-go's executor
// (driver.Exec); logs and the completion of --run list runs with it.
func ExecIn(cfg *rest.Config, d Driver) func(ctx context.Context, argv []string, stdout, stderr io.Writer) (int, error) {
	return func(ctx context.Context, argv []string, stdout, stderr io.Writer) (int, error) {
		return driver.Exec(ctx, cfg, driver.ExecOptions{
			Namespace: d.Pod.Namespace, Pod: d.Pod.Name, Container: d.Container(),
			Command: argv, Stdout: stdout, Stderr: stderr,
		})
	}
}
