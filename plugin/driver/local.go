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

	"github.com/spark-mr3/spark-mr3/plugin/mr3conf"
)

// LocalOptions is a driver command to run on this machine.
type LocalOptions struct {
	Script string
	Args   []string
	// Env is the command's whole environment (os.Environ() plus the token variables).
	Env    []string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// OnStart, when set, is called just before the process starts.
	OnStart func()
}

// RunLocal runs the script and returns its exit code (128+N when killed by signal N). When ctx
// ends, the script gets SIGTERM (a JVM runs its shutdown hooks for it, and unlike SIGINT it is
// not ignored by processes started in the background), then SIGKILL 10 s later, and RunLocal
// returns ErrInterrupted. On a terminal, Ctrl-C reaches the script directly.
func RunLocal(ctx context.Context, o LocalOptions) (int, error) {
	cmd := exec.CommandContext(ctx, o.Script, o.Args...)
	cmd.Env = o.Env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = o.Stdin, o.Stdout, o.Stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	if o.OnStart != nil {
		o.OnStart()
	}
	err := cmd.Run()
	if ctx.Err() != nil {
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
	return -1, fmt.Errorf("run %s: %w", o.Script, err)
}

// Keys of the conf ConfigMap and mr3-site.xml that an outside driver reads, and the Spark
// confs it is given.
const (
	MR3SiteOutside = "mr3-site-outside.xml"
	MR3Site        = "mr3-site.xml"
	HostAliasesKey = "mr3.k8s.host.aliases"
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
		value, _ := site.Get(HostAliasesKey)
		aliases, err := mr3conf.ParseHostAliases(value)
		if err != nil {
			return nil, key, fmt.Errorf("%s in %s of ConfigMap %s: %w", HostAliasesKey, key, conf.Name, err)
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
