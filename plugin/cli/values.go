package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/spark-mr3/spark-mr3/plugin/token"
)

type valuesOptions struct {
	file  string
	force bool
}

func newValuesCmd(s *Settings) *cobra.Command {
	o := &valuesOptions{}
	cmd := &cobra.Command{
		Use:   "values RELEASE --file FILE",
		Short: "Write a values file that pins the release's token (for Argo CD, Flux, helm template)",
		Long: `values writes a values file (mode 0600) that pins token.clientToAMTokenKey and
token.applicationIdTimestamp to the release's current ones. Tools that render without cluster
access (helm template, Argo CD, Flux, helm-diff) need it: without lookup the chart cannot
read the existing token, and it refuses to invent a new one on upgrade. The file holds the
token: store it as a secret (sealed-secrets, SOPS), never in plain git.`,
		Example: `  helm sparkmr3 values spark -n sparkmr3 --file pin.yaml
  helm template spark charts/spark-mr3 -n sparkmr3 -f prod.yaml -f pin.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.file == "" {
				return UsageError("--file is required: the token is written only to a file (mode 0600), never to the terminal")
			}
			client, err := s.KubeClient()
			if err != nil {
				return err
			}
			tok, found, err := token.FindForRelease(cmd.Context(), client, s.Namespace(), args[0])
			if err != nil {
				return err
			}
			if !found {
				return fmt.Errorf("release %q has no token Secret in namespace %q: check the release name and -n NAMESPACE", args[0], s.Namespace())
			}
			body, err := yaml.Marshal(tok.Values())
			if err != nil {
				return err
			}
			header := fmt.Sprintf("# Pins the shared DAGAppMaster token of release %s (namespace %s, application %s).\n# Written by 'helm sparkmr3 values'. It holds the token: keep it secret.\n", args[0], s.Namespace(), tok.ApplicationID())
			flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
			if o.force {
				flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
			}
			f, err := os.OpenFile(o.file, flags, 0o600)
			if os.IsExist(err) {
				return UsageError("%s exists: pass --force to overwrite it", o.file)
			}
			if err != nil {
				return fmt.Errorf("write %s: %w", o.file, err)
			}
			if _, err := f.WriteString(header + string(body)); err != nil {
				f.Close()
				return fmt.Errorf("write %s: %w", o.file, err)
			}
			if err := f.Close(); err != nil {
				return err
			}
			abs, _ := filepath.Abs(o.file)
			_, err = fmt.Fprintf(s.IO.Out, "wrote %s (token of %s, application %s); pass it with -f to helm template/upgrade\n", abs, args[0], tok.ApplicationID())
			return err
		},
	}
	cmd.Flags().StringVar(&o.file, "file", "", "values file to write (mode 0600)")
	cmd.Flags().BoolVar(&o.force, "force", false, "overwrite FILE if it exists")
	return cmd
}
