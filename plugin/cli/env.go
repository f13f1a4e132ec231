package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"

	"github.com/spark-mr3/spark-mr3/plugin/outside"
)

type envOptions struct {
	output string
}

func newEnvCmd(s *Settings) *cobra.Command {
	o := &envOptions{}
	cmd := &cobra.Command{
		Use:   "env RELEASE",
		Short: "Print the exports a Spark driver outside Kubernetes needs (the only verb that prints the token)",
		Long: `env prints CLIENT_TO_AM_TOKEN_KEY and MR3_APPLICATION_ID_TIMESTAMP of the release, and the
DAGAppMaster service address, so that a driver started outside Kubernetes shares the
release's DAGAppMaster. It is the only verb that prints the token: keep its output private.`,
		Example: `  eval "$(helm sparkmr3 env spark -n sparkmr3)"
  helm sparkmr3 env spark -n sparkmr3 -o json | jq -r .MR3_APPLICATION_ID_TIMESTAMP`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.output != "shell" && o.output != "json" {
				return UsageError("--output %q: use shell or json", o.output)
			}
			client, err := s.KubeClient()
			if err != nil {
				return err
			}
			return runEnv(cmd.Context(), client, s.Namespace(), args[0], o.output, s.IO.Out)
		},
	}
	cmd.Flags().StringVarP(&o.output, "output", "o", "shell", "output format: shell or json")
	return cmd
}

func runEnv(ctx context.Context, client kubernetes.Interface, ns, rel, format string, w io.Writer) error {
	env, err := outside.Lookup(ctx, client, ns, rel)
	if err != nil {
		return err
	}
	vars := env.Vars()
	if format == "json" {
		m := map[string]string{}
		for _, v := range vars {
			m[v.Name] = v.Value
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(m)
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
