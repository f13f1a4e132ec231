package cli

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/spark-mr3/spark-mr3/plugin/ui"
)

func newUICmd(s *Settings) *cobra.Command {
	o := &ui.Options{}
	cmd := &cobra.Command{
		Use:   "ui RELEASE",
		Short: "Open a driver's Spark web UI on this machine (port-forward) and print its URL",
		Long: `ui forwards a local port to the Spark web UI of a driver Pod (the container port named
webui, 4040) and prints the URL to open; Ctrl-C stops it.

MR3's scripts run every job with spark.ui.proxyBase=${PROXY_BASE}/${DRIVER_NAME}
(PROXY_BASE is the chart's spark.uiProxyBase, "" by default; DRIVER_NAME is the driver's
Service name), and Spark writes every link of its UI under that path. So ui does not hand
out the bare port-forward, whose links would 404: it serves the UI at
http://ADDRESS:PORT/<path of proxyBase>/ through a small local reverse proxy that strips
the prefix on the way to Spark (PROXY_BASE and DRIVER_NAME are read from the Pod and its
env.sh). When spark.uiProxyBase is a gateway URL (http://host/…), the UI's links lead to
that gateway; ui still serves the pages under its path.

Spark serves its UI only while a job runs in the driver (spark-submit or spark-shell); in
between, the URL answers 502 with that explanation, and a reload works once a job runs.
client-go ends a port-forward as soon as one connection through it fails, so ui opens a new
one for the next request: it keeps running until Ctrl-C.

Exit codes: 0 after Ctrl-C; 2 for bad input; 1 when the driver cannot be found or the first
port-forward cannot be opened (e.g. no permission for pods/portforward).`,
		Example: `  helm sparkmr3 ui spark -n sparkmr3
  helm sparkmr3 ui spark --driver spark2 --port 4041
  helm sparkmr3 ui spark --port 0          # any free local port`,
		Args: exactRelease,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Namespace, o.Release, o.IO = s.Namespace(), args[0], s.IO
			if err := o.Validate(); err != nil {
				return WithCode(ExitUsage, err)
			}
			var err error
			if o.Config, o.Client, err = s.Clients(); err != nil {
				return err
			}
			// Ctrl-C is how ui ends: exit 0, as kubectl port-forward.
			ctx, stop := signal.NotifyContext(contextOf(cmd), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return o.Run(ctx)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Driver, "driver", "", "driver entry whose UI to open; default: the only driver, else the first running one")
	f.IntVar(&o.Port, "port", ui.DefaultUIPort, "local port to serve the UI on (0: any free port)")
	f.StringVar(&o.Address, "address", "127.0.0.1", "local address to listen on (0.0.0.0 opens the UI to the network)")
	return cmd
}
