package cli

import (
	"fmt"
	"github.com/spark-mr3/spark-mr3/plugin/contract"
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
		Short: "Write a values file that ties renders to the release's token Secret (for Argo CD, Flux, helm template)",
		Long: `values writes a values file (mode 0600) for tools that render without cluster access
(helm template, Argo CD, helm-diff): without lookup the chart cannot read the existing token,
and it refuses to invent a new one on upgrade. Flux's helm-controller runs real upgrades
(lookup works), but a release this plugin installed keeps its token in F-mr3-token, which the
chart finds only through token.existingSecret: give Flux (or a plain helm upgrade) this file.

For a release installed by this plugin the file holds no token: it sets token.existingSecret
to the Secret the plugin keeps (F-mr3-token) and token.checksum to the token's checksum
(drivers restart when it changes). The file can go to git; the Secret stays in the cluster,
or comes from Sealed Secrets / External Secrets: an Opaque Secret in the release namespace
with keys CLIENT_TO_AM_TOKEN_KEY (any non-blank string without spaces) and
MR3_APPLICATION_ID_TIMESTAMP (a positive integer). Change token.checksum whenever you change
that Secret's token.

For a release whose token is the chart's own Secret F-token (plain helm install, or an older
plugin not yet upgraded) the file pins token.clientToAMTokenKey and
token.applicationIdTimestamp: it holds the token, keep it secret (sealed-secrets, SOPS).`,
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
			secret, err := token.SecretForRelease(cmd.Context(), client, s.Namespace(), args[0])
			if err != nil {
				return err
			}
			if secret == nil {
				return fmt.Errorf("release %q has no token Secret in namespace %q: check the release name and -n NAMESPACE", args[0], s.Namespace())
			}
			tok, err := token.FromSecret(secret)
			if err != nil {
				return err
			}
			vals := tok.Values()
			header := fmt.Sprintf("# Pins the shared DAGAppMaster token of release %s (namespace %s, application %s).\n# Written by 'helm sparkmr3 values'. It holds the token: keep it secret.\n", args[0], s.Namespace(), tok.ApplicationID())
			// The chart's own F-token (labelled managed-by Helm, also when applied from helm
			// template output) must stay rendered: pin its token. Any other Secret is named.
			_, helmOwned := secret.Annotations["meta.helm.sh/release-name"]
			if !helmOwned && secret.Labels[contract.LabelManagedBy] != "Helm" {
				// The plugin's (or the user's) Secret: name it, never copy the token.
				vals = map[string]any{"token": map[string]any{"existingSecret": secret.Name, "checksum": tok.Checksum()}}
				header = fmt.Sprintf("# Ties renders of release %s (namespace %s, application %s) to its token Secret %s.\n# Written by 'helm sparkmr3 values'. It holds no token: the Secret (keys %s, %s) stays in the cluster.\n# Change token.checksum whenever that Secret's token changes (helm sparkmr3 upgrade --rotate-token: run values again).\n", args[0], s.Namespace(), tok.ApplicationID(), secret.Name, contract.KeyToken, contract.KeyTimestamp)
			}
			body, err := yaml.Marshal(vals)
			if err != nil {
				return err
			}
			if err := writeSecretFile(o.file, []byte(header+string(body)), o.force); err != nil {
				return err
			}
			abs, _ := filepath.Abs(o.file)
			_, err = fmt.Fprintf(s.IO.Out, "wrote %s (token of %s, application %s, Secret %s); pass it with -f to helm template/upgrade\n", abs, args[0], tok.ApplicationID(), secret.Name)
			return err
		},
	}
	cmd.Flags().StringVar(&o.file, "file", "", "values file to write (mode 0600)")
	cmd.Flags().BoolVar(&o.force, "force", false, "overwrite FILE if it exists (replaced by a new 0600 file; a symlink is replaced, not followed)")
	return cmd
}
