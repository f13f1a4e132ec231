package cli

import (
	"bytes"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/spark-mr3/spark-mr3/plugin/manifest"
	"github.com/spark-mr3/spark-mr3/plugin/postrender"
)

func newPostrenderCmd(s *Settings) *cobra.Command {
	var kustomize string
	cmd := &cobra.Command{
		Use:   "postrender [--kustomize DIR]",
		Short: "Helm post-renderer: apply an overlay, check every rule, pass the manifests on",
		Long: `postrender reads helm's rendered manifests on stdin, applies the kustomize overlay
(its kustomization.yaml must list helm-output.yaml under resources: the manifests are served
under that name), runs every consistency rule and writes the manifests to stdout. On any
violation it writes nothing to stdout, lists every violation on stderr and exits 3, so helm
installs nothing.`,
		Example: `  helm install spark ./charts/spark-mr3 --post-renderer helm-sparkmr3 --post-renderer-args postrender
  helm template spark ./charts/spark-mr3 | helm sparkmr3 postrender --kustomize overlays/prod`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := postrender.New(postrender.Options{KustomizeDir: kustomize})
			if err != nil {
				return UsageError("%v", err)
			}
			// One byte over the limit lets the reader report "too large" instead of truncating.
			in, err := io.ReadAll(io.LimitReader(s.IO.In, manifest.DefaultMaxBytes+1))
			if err != nil {
				return fmt.Errorf("read manifests from stdin: %w", err)
			}
			out, err := p.Run(bytes.NewBuffer(in))
			if err != nil {
				if isCheckFailure(err) {
					return WithCode(ExitCheckFailed, err)
				}
				return err
			}
			_, err = s.IO.Out.Write(out.Bytes())
			return err
		},
	}
	cmd.Flags().StringVar(&kustomize, "kustomize", "", "kustomize overlay directory (its kustomization.yaml lists helm-output.yaml under resources)")
	return cmd
}
