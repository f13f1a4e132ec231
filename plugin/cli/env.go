package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"helm.sh/helm/v3/pkg/cli/output"
	"k8s.io/client-go/kubernetes"

	"github.com/spark-mr3/spark-mr3/plugin/outside"
)

type envOptions struct {
	output         output.Format
	writeDir       string
	driverHost     string
	driverCores    string
	driverMemoryMB string
}

func newEnvCmd(s *Settings) *cobra.Command {
	o := &envOptions{}
	cmd := &cobra.Command{
		Use:   "env RELEASE",
		Short: "Print the exports a Spark driver outside Kubernetes needs (the only verb that prints the token)",
		Long: `env prints what MR3's driver script reads from the environment on a node outside
Kubernetes: CLIENT_TO_AM_TOKEN_KEY and MR3_APPLICATION_ID_TIMESTAMP of the release (so the
driver shares the release's DAGAppMaster), SPARK_MR3_NAMESPACE, the DAGAppMaster service
address, DRIVER_NAME (--driver-host, default this machine's host name; the script builds
spark.ui.proxyBase from it, and spark.driver.host, which you override with
--conf spark.driver.host=HOST), SPARK_DRIVER_CORES and SPARK_DRIVER_MEMORY_MB
(--driver-cores, --driver-memory-mb; default: those of the release's first driver, else 1
and 1024). It is the only verb that prints the token: keep its output private.

--write-dir DIR also writes MR3's BASE_DIR on this node (DIR is the folder that holds
spark/run-spark-submit.sh): DIR/env.sh, the release's env.sh (Secret <fullname>-env; mode
0600, it may hold credentials), and DIR/conf/, every file of the conf ConfigMap with
mr3-site.xml holding mr3-site-outside.xml's content. The release must serve outside
drivers (outsideDrivers.enabled=true), else env refuses and says how. Each file is written
under a temporary name and renamed over the old one (a symbolic link there is replaced, not
followed); files of DIR/conf that the release lacks are named and left alone. The exports
are printed as without --write-dir.`,
		Example: `  eval "$(helm sparkmr3 env spark -n sparkmr3)"
  eval "$(helm sparkmr3 env spark -n sparkmr3 --write-dir $HOME/mr3-run --driver-memory-mb 4096)"
  helm sparkmr3 env spark -n sparkmr3 -o json | jq -r .MR3_APPLICATION_ID_TIMESTAMP
  helm sparkmr3 env spark -n sparkmr3 -o yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			drv, err := o.driver()
			if err != nil {
				return WithCode(ExitUsage, err)
			}
			client, err := s.KubeClient()
			if err != nil {
				return err
			}
			err = runEnv(contextOf(cmd), client, s.Namespace(), args[0], o, drv, s.IO.Out, s.IO.ErrOut)
			var refused *outside.Refusal
			if errors.As(err, &refused) {
				return WithCode(ExitUsage, err)
			}
			return err
		},
	}
	f := cmd.Flags()
	bindOutputFlag(cmd, &o.output, []output.Format{formatShell, output.JSON, output.YAML}, nil)
	f.StringVar(&o.writeDir, "write-dir", "", "also write env.sh and conf/ of MR3's BASE_DIR DIR for this release")
	f.StringVar(&o.driverHost, "driver-host", "", "DRIVER_NAME (default: this machine's host name)")
	f.StringVar(&o.driverCores, "driver-cores", "", "SPARK_DRIVER_CORES (default: the release's first driver's, else 1)")
	f.StringVar(&o.driverMemoryMB, "driver-memory-mb", "", "SPARK_DRIVER_MEMORY_MB, driver heap in MiB (default: the release's first driver's, else 1024)")
	return cmd
}

// driver reads the driver flags (0: take the release's default).
func (o *envOptions) driver() (outside.Driver, error) {
	d := outside.Driver{Name: o.driverHost}
	var err error
	if o.driverCores != "" {
		if d.Cores, err = outside.ParseDriverSize("--driver-cores", o.driverCores); err != nil {
			return d, err
		}
	}
	if o.driverMemoryMB != "" {
		if d.MemoryMB, err = outside.ParseDriverSize("--driver-memory-mb", o.driverMemoryMB); err != nil {
			return d, err
		}
	}
	if d.Name == "" {
		h, err := os.Hostname()
		if err != nil {
			return d, fmt.Errorf("find this machine's host name for DRIVER_NAME (pass --driver-host): %w", err)
		}
		d.Name = h
	}
	return d, nil
}

func runEnv(ctx context.Context, client kubernetes.Interface, ns, rel string, o *envOptions, drv outside.Driver, w, errOut io.Writer) error {
	env, err := outside.Lookup(ctx, client, ns, rel)
	if err != nil {
		return err
	}
	if drv.Cores == 0 || drv.MemoryMB == 0 {
		cores, mem, _, err := outside.DriverDefaults(ctx, client, ns, rel)
		if err != nil {
			return err
		}
		if drv.Cores == 0 {
			drv.Cores = cores
		}
		if drv.MemoryMB == 0 {
			drv.MemoryMB = mem
		}
	}
	env.Driver = drv
	if o.writeDir != "" {
		files, err := outside.ReadReleaseFiles(ctx, client, ns, rel, nil)
		if err != nil {
			return err
		}
		conf, err := files.ConfFiles()
		if err != nil {
			return err
		}
		written, err := outside.WriteBaseDir(o.writeDir, files.EnvSh, conf)
		if err != nil {
			return err
		}
		fmt.Fprintf(errOut, "wrote %s (0600, from Secret %s) and %d file(s) to %s/: %s\n",
			written.EnvSh, files.EnvSecret, len(written.Files), written.ConfDir, strings.Join(written.Files, ", "))
		if len(written.Extra) > 0 {
			fmt.Fprintf(errOut, "warning: %s also holds %s, which release %q does not have; MR3's scripts read every file there: remove them if they are left over\n",
				written.ConfDir, strings.Join(written.Extra, ", "), rel)
		}
	}
	vars := env.Vars()
	if o.output != formatShell {
		m := map[string]string{}
		for _, v := range vars {
			m[v.Name] = v.Value
		}
		if o.output == output.YAML {
			return output.EncodeYAML(w, m)
		}
		return output.EncodeJSON(w, m)
	}
	for _, v := range vars {
		if _, err := fmt.Fprintf(w, "export %s=%s\n", v.Name, shellQuote(v.Value)); err != nil {
			return err
		}
	}
	return nil
}

// shellQuote quotes s for POSIX sh: single quotes, with embedded ones closed and escaped.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
