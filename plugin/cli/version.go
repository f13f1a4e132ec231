package cli

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Version is stamped at build time with -ldflags "-X .../plugin/cli.Version=v…"
// (hack/plugin-build.sh); otherwise the module version from the build info, else "dev".
var Version = "dev"

func newVersionCmd(s *Settings) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the plugin version",
		Example: "  helm sparkmr3 version",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := Version
			if v == "dev" {
				if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
					v = bi.Main.Version
				}
			}
			_, err := fmt.Fprintf(s.IO.Out, "helm-sparkmr3 %s\n", v)
			return err
		},
	}
}
