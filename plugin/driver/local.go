package driver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"github.com/spark-mr3/spark-mr3/plugin/mr3conf"
)

// Bash runs every driver command: MR3's scripts pipe spark-submit into tee without pipefail,
// so only `bash -o pipefail SCRIPT` makes the script's status spark-submit's (the script's EXIT
// trap does not change it). The script's shebang is not read; MR3's scripts are bash scripts.
const Bash = "/bin/bash"

// BashCommand is the argv that runs a driver script with pipefail.
func BashCommand(script string, args []string) []string {
	return append([]string{Bash, "-o", "pipefail", script}, args...)
}

// DefaultGrace is how long an interrupted local driver gets between SIGTERM and SIGKILL.
const DefaultGrace = 10 * time.Second

// LocalOptions is a driver command to run on this machine.
type LocalOptions struct {
	// Script is the driver script, an absolute path; it runs as `bash -o pipefail Script Args…`.
	Script string
	Args   []string
	// Env is the command's whole environment (os.Environ() plus the outside driver's variables).
	Env    []string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// OwnGroup starts the script in its own process group, and an interrupt signals the whole
	// group: MR3's `spark-submit … | tee` would otherwise leave the JVM running. Off when the
	// script reads the terminal (a background group reading it would be stopped by SIGTTIN);
	// then Ctrl-C reaches every process of the terminal's group anyway.
	OwnGroup bool
	// Grace is the time between SIGTERM and SIGKILL (DefaultGrace when 0).
	Grace time.Duration
	// OnStart, when set, is called just before the process starts.
	OnStart func()
}

// RunLocal runs the script and returns its exit code (128+N when killed by signal N). When ctx
// ends, the script (its whole process group with OwnGroup) gets SIGTERM — a JVM runs its
// shutdown hooks for it, and unlike SIGINT it is not ignored by processes started in the
// background — then SIGKILL after Grace, and RunLocal returns ErrInterrupted once the group
// is gone.
func RunLocal(ctx context.Context, o LocalOptions) (int, error) {
	grace := o.Grace
	if grace <= 0 {
		grace = DefaultGrace
	}
	argv := BashCommand(o.Script, o.Args)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = o.Env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = o.Stdin, o.Stdout, o.Stderr
	// A child that keeps the output pipes open must not hold RunLocal after the script ended.
	cmd.WaitDelay = grace
	if o.OwnGroup {
		setOwnGroup(cmd)
	}
	if o.OnStart != nil {
		o.OnStart()
	}
	if err := cmd.Start(); err != nil {
		return -1, fmt.Errorf("run %s: %w", strings.Join(argv[:4], " "), err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		p := cmd.Process
		signalDriver(p, o.OwnGroup, syscall.SIGTERM)
		timer := time.NewTimer(grace)
		defer timer.Stop()
		deadline := timer.C
		select {
		case <-done:
		case <-timer.C:
			signalDriver(p, o.OwnGroup, syscall.SIGKILL)
			deadline = time.After(grace)
			<-done
		}
		// The script may be gone while the JVM of its pipeline is still stopping.
		if o.OwnGroup && !waitGroupGone(p.Pid, deadline) {
			signalDriver(p, true, syscall.SIGKILL)
		}
		return -1, ErrInterrupted
	}
	if err == nil {
		return 0, nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), nil
		}
		return ee.ExitCode(), nil
	}
	if errors.Is(err, exec.ErrWaitDelay) {
		return 0, nil
	}
	return -1, fmt.Errorf("run %s: %w", o.Script, err)
}

// Keys of the conf ConfigMap and mr3-site.xml that an outside driver reads, and the Spark
// confs it is given.
const (
	MR3SiteOutside = contract.FileMR3SiteOutside
	MR3Site        = contract.FileMR3Site
	amHostConfKey  = "spark.mr3.k8s.am.service.host"
	amPortConfKey  = "spark.mr3.k8s.am.service.port"
	driverHostConf = "spark.driver.host"
	driverPortConf = "spark.driver.port"
)

// HostAliases reads the host names of mr3.k8s.host.aliases from the conf ConfigMap: from
// mr3-site-outside.xml when present (the copy for drivers outside Kubernetes), else from
// mr3-site.xml. It returns the hosts and the file it read.
func HostAliases(conf *corev1.ConfigMap) (hosts []string, file string, err error) {
	for _, key := range []string{MR3SiteOutside, MR3Site} {
		text, ok := conf.Data[key]
		if !ok {
			continue
		}
		site, err := mr3conf.ParseSite(key, []byte(text))
		if err != nil {
			return nil, key, fmt.Errorf("read ConfigMap %s: %w", conf.Name, err)
		}
		value, _ := site.Get(contract.SiteHostAliases)
		aliases, err := mr3conf.ParseHostAliases(value)
		if err != nil {
			return nil, key, fmt.Errorf("%s in %s of ConfigMap %s: %w", contract.SiteHostAliases, key, conf.Name, err)
		}
		for _, a := range aliases {
			hosts = append(hosts, a.Host)
		}
		return hosts, key, nil
	}
	return nil, "", nil
}

// FreePort asks the kernel for a free TCP port on this machine, so that several outside
// drivers on one node each get their own spark.driver.port. The port is released before the
// driver binds it; another process could take it in between, which is unlikely.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", ":0")
	if err != nil {
		return 0, fmt.Errorf("find a free port for spark.driver.port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// confGiven reports whether args already set a Spark conf key (--conf k=v or --conf=k=v).
func confGiven(args []string, key string) bool {
	for i, a := range args {
		switch {
		case a == "--conf" && i+1 < len(args) && strings.HasPrefix(args[i+1], key+"="):
			return true
		case strings.HasPrefix(a, "--conf="+key+"="):
			return true
		}
	}
	return false
}

func itoa(n int) string { return strconv.Itoa(n) }
