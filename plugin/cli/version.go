package cli

import (
	"fmt"
	"io"
	"runtime/debug"

	"github.com/spf13/cobra"
	"helm.sh/helm/v3/pkg/cli/output"
)

// Version is stamped at build time with -ldflags "-X .../plugin/cli.Version=v…"
// (hack/plugin-build.sh); otherwise the module version from the build info, else "dev".
var Version = "dev"

func newVersionCmd(s *Settings) *cobra.Command {
	var format output.Format
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the plugin version",
		Example: `  helm sparkmr3 version
  helm sparkmr3 version -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := Version
			if v == "dev" {
				if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
					v = bi.Main.Version
				}
			}
			return format.Write(s.IO.Out, versionInfo{Version: v})
		},
	}
	bindOutputFlag(cmd, &format, []output.Format{output.Table, output.JSON, output.YAML}, nil)
	return cmd
}

// versionInfo is what version prints: "helm-sparkmr3 VERSION" as a table, else {version}.
type versionInfo struct {
	Version string `json:"version"`
}

func (v versionInfo) WriteTable(w io.Writer) error {
	_, err := fmt.Fprintf(w, "helm-sparkmr3 %s\n", v.Version)
	return err
}

func (v versionInfo) WriteJSON(w io.Writer) error { return output.EncodeJSON(w, v) }

func (v versionInfo) WriteYAML(w io.Writer) error { return output.EncodeYAML(w, v) }
