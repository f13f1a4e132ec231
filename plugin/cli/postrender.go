package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/spark-mr3/spark-mr3/plugin/manifest"
	"github.com/spark-mr3/spark-mr3/plugin/postrender"
)

func newPostrenderCmd(s *Settings) *cobra.Command {
	var kustomize postrender.Flags
	cmd := &cobra.Command{
		Use:   "postrender [--kustomize DIR [--kustomize-allow-remote]]",
		Short: "Helm post-renderer: apply an overlay, check every rule, pass the manifests on",
		Long: `postrender reads helm's rendered manifests on stdin, applies the kustomize overlay
(its kustomization.yaml must list helm-output.yaml under resources: the manifests are served
under that name), runs every consistency rule and writes the manifests to stdout. On any
violation it writes nothing to stdout, lists every violation on stderr and exits 3, so helm
installs nothing.`,
		Example: `  # Helm 3: --post-renderer takes an executable (the plugin's binary) and its arguments
  helm install spark ./charts/spark-mr3 --post-renderer "$(helm env HELM_PLUGINS)/sparkmr3/bin/helm-sparkmr3" \
    --post-renderer-args postrender --post-renderer-args --kustomize=overlays/prod

  # Helm 4: --post-renderer takes a postrenderer plugin by name (install plugins/sparkmr3-postrender)
  helm install spark ./charts/spark-mr3 --post-renderer sparkmr3-postrender

  # any Helm: pipe a render through it
  helm template spark ./charts/spark-mr3 | helm sparkmr3 postrender --kustomize overlays/prod`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := newOverlay(s, kustomize)
			if err != nil {
				return err
			}
			if !p.UsesKustomize() && s.Getenv("GOGC") == "" {
				// Without an overlay, or with one package overlay applies, the live heap stays
				// near twice the input (80 MiB peak at 500 drivers with this setting): collect
				// less often in this short process (-15% time at 100 drivers). kustomize keeps
				// far more alive, so not with it.
				debug.SetGCPercent(400)
			}
			// One byte over the limit lets the reader report "too large" instead of truncating.
			in, err := io.ReadAll(io.LimitReader(s.IO.In, manifest.DefaultMaxBytes+1))
			if err != nil {
				return fmt.Errorf("read manifests from stdin: %w", err)
			}
			out, err := p.Run(bytes.NewBuffer(in))
			if err != nil {
				reportToTerminalUnderHelm4(s, err)
				if isCheckFailure(err) {
					return WithCode(ExitCheckFailed, err)
				}
				return overlayError(err)
			}
			_, err = s.IO.Out.Write(out.Bytes())
			return err
		},
	}
	kustomize.Register(cmd.Flags(), "kustomize overlay directory (its kustomization.yaml lists helm-output.yaml under resources)")
	return cmd
}

// helm4PostRendererPlugin is the name of the postrenderer/v1 plugin in plugins/.
const helm4PostRendererPlugin = "sparkmr3-postrender"

// reportToTerminalUnderHelm4 works around Helm 4.3, which captures a postrenderer/v1 plugin's
// stderr and drops it ("plugin … exited with error"): the user would never see which rule
// broke. When run as that plugin, the violations also go to the controlling terminal, if any.
// Without a terminal (CI), `helm sparkmr3 check` shows them; docs/PLUGIN.md says so.
func reportToTerminalUnderHelm4(s *Settings, err error) {
	if s.Getenv("HELM_PLUGIN_NAME") != helm4PostRendererPlugin || s.IsTerminal(s.IO.ErrOut) {
		return
	}
	tty, oerr := os.OpenFile("/dev/tty", os.O_WRONLY, 0)
	if oerr != nil {
		return
	}
	defer tty.Close()
	fmt.Fprintf(tty, "%s: %v\n", helm4PostRendererPlugin, err)
}
