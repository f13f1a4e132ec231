package driver

// The --local half of submit and shell: a driver on this machine, outside Kubernetes, that
// shares the release's DAGAppMaster.

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"github.com/spark-mr3/spark-mr3/plugin/outside"
	"github.com/spark-mr3/spark-mr3/plugin/rollout"
	"github.com/spark-mr3/spark-mr3/plugin/token"
)

// LocalCommand is the command line and extra environment of a driver outside Kubernetes.
type LocalCommand struct {
	Script string
	Args   []string
	// Env holds the variables added to this process's environment: the token and timestamp,
	// DRIVER_NAME, SPARK_DRIVER_CORES and SPARK_DRIVER_MEMORY_MB.
	Env []string
	// Warnings are problems the user should fix but that do not stop the run.
	Warnings []string
}

// BuildLocal makes the outside driver's command from the ready release: the token variables
// from the token Secret, the driver's name, cores and memory, spark.driver.host (checked
// against mr3.k8s.host.aliases), a free spark.driver.port, and the AM Service's address, each
// unless args already set it.
func BuildLocal(ready *rollout.Ready, script, driverHost string, drv outside.Driver, args []string, freePort func() (int, error)) (*LocalCommand, error) {
	lc := &LocalCommand{Script: script}
	token := string(ready.TokenSecret.Data[contract.KeyToken])
	ts := string(ready.TokenSecret.Data[contract.KeyTimestamp])
	lc.Env = []string{contract.KeyToken + "=" + token, contract.KeyTimestamp + "=" + ts}
	for _, v := range drv.Vars() {
		lc.Env = append(lc.Env, v.Name+"="+v.Value)
	}

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
				driverHost, contract.SiteHostAliases, where, driverHost))
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

// Describe shows the command for --dry-run and --debug, with the token masked: the command
// line is the one run.
func (lc *LocalCommand) Describe(w io.Writer) {
	fmt.Fprintf(w, "# on this machine (BASE_DIR %s), with these variables added to the environment:\n", BaseDirOf(lc.Script))
	for _, kv := range lc.Env {
		k, v, _ := strings.Cut(kv, "=")
		v = shellQuote(v)
		if k == contract.KeyToken {
			v = token.Mask(v)
		}
		fmt.Fprintf(w, "%s=%s\n", k, v)
	}
	fmt.Fprintln(w, shellJoin(BashCommand(lc.Script, lc.Args)))
}

// BaseDirOf is MR3's BASE_DIR for a driver script: its scripts compute
// `readlink -f "$(cd "$(dirname "$0")" && pwd)/.."`, the real parent of the folder the
// script was called from (a symlinked script file itself is not followed).
func BaseDirOf(script string) string {
	dir := filepath.Dir(script)
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	return filepath.Dir(dir)
}

// checkScript accepts a regular file this user can read: bash runs it, so no execute bit
// is needed.
func checkScript(script string) error {
	fi, err := os.Stat(script)
	if err != nil {
		return fmt.Errorf("driver script: %w; give the path of MR3's run-spark-submit.sh (or run-spark-shell.sh) in its spark/ folder", err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("driver script %s is not a regular file", script)
	}
	f, err := os.Open(script)
	if err != nil {
		return fmt.Errorf("driver script: %w", err)
	}
	return f.Close()
}

func (o *Options) runLocal(ctx context.Context, ready *rollout.Ready, base *outside.BaseDir) error {
	drv := outside.Driver{Name: o.DriverHost, Cores: o.cores, MemoryMB: o.memMB}
	if drv.Cores == 0 || drv.MemoryMB == 0 {
		cores, mem, from, err := outside.DriverDefaults(ctx, o.Client, o.Namespace, o.Release)
		if err != nil {
			return err
		}
		if drv.Cores == 0 {
			drv.Cores = cores
		}
		if drv.MemoryMB == 0 {
			drv.MemoryMB = mem
		}
		if o.Debug {
			fmt.Fprintf(o.IO.ErrOut, "# driver cores/memory default: %s\n", from)
		}
	}
	lc, err := BuildLocal(ready, o.Script, o.DriverHost, drv, o.Args, FreePort)
	if err != nil {
		return err
	}
	env := withEnv(o.Environ(), lc.Env)
	if base != nil {
		warnings, err := o.checkBaseDir(ctx, ready, base, env)
		if err != nil {
			return err
		}
		lc.Warnings = append(lc.Warnings, warnings...)
	}
	ts := string(ready.TokenSecret.Data[contract.KeyTimestamp])
	if w := outside.FirstAMWarning(ctx, o.Client, o.Namespace, o.Release, ts); w != "" {
		lc.Warnings = append(lc.Warnings, w)
	}
	for _, w := range lc.Warnings {
		fmt.Fprintf(o.IO.ErrOut, "warning: %s\n", w)
	}
	if o.DryRun {
		lc.Describe(o.IO.Out)
		if base == nil {
			fmt.Fprintf(o.IO.Out, "# not checked: %s and its conf/ (the script does not exist)\n", BaseDirOf(o.Script))
		} else if dir := base.StagingDir(); dir != "" {
			if _, err := os.Stat(dir); err != nil {
				fmt.Fprintf(o.IO.Out, "# would create %s %s\n", contract.SiteStagingDir, dir)
			}
		}
		return nil
	}
	if _, err := base.EnsureStagingDir(); err != nil {
		return &outside.Refusal{Message: err.Error()}
	}
	if o.Debug {
		lc.Describe(o.IO.ErrOut)
	}
	var stdin io.Reader
	if o.Stdin {
		stdin = o.IO.In
	}
	return o.withAMWatch(ctx, ready, lc.Script, func(ctx context.Context, onStart func()) error {
		code, err := RunLocal(ctx, LocalOptions{Script: lc.Script, Args: lc.Args, Env: env,
			Stdin: stdin, Stdout: o.IO.Out, Stderr: o.IO.ErrOut, OnStart: onStart, Grace: o.Grace,
			OwnGroup: stdin == nil || !o.IsTerminal(stdin)})
		if err != nil {
			return err
		}
		if code != 0 {
			return &CommandExitError{Code: code, Where: lc.Script}
		}
		return nil
	})
}

// checkBaseDir refuses a BASE_DIR whose env.sh disagrees with the release (see
// outside.BaseDir.Check) and returns the warnings.
func (o *Options) checkBaseDir(ctx context.Context, ready *rollout.Ready, base *outside.BaseDir, env []string) ([]string, error) {
	files, err := outside.ReadReleaseFiles(ctx, o.Client, o.Namespace, o.Release, ready.Conf)
	if err != nil {
		return nil, err
	}
	if _, err := files.OutsideSite(); err != nil {
		return nil, err
	}
	environ := make(map[string]string, len(env))
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		environ[k] = v
	}
	ms, warnings, err := base.Check(files, environ)
	if err != nil {
		return nil, err
	}
	if len(ms) > 0 {
		return nil, outside.MismatchError(files, base.Dir, ms)
	}
	return warnings, nil
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
