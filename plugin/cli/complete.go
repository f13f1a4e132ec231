package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"helm.sh/helm/v3/pkg/action"

	"github.com/spark-mr3/spark-mr3/plugin/release"
)

// completeReleases offers the spark-mr3 releases of the namespace for a RELEASE argument
// (`helm sparkmr3 status <TAB>`; helm 3.8+/4 ask the plugin through cobra's __complete).
func completeReleases(s *Settings) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveDefault
		}
		cfg, err := s.ActionConfig()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		list := action.NewList(cfg)
		list.All = true
		rels, err := list.Run()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var names []cobra.Completion
		for _, r := range rels {
			if r.Chart != nil && r.Chart.Metadata != nil && r.Chart.Metadata.Name == release.ChartName && strings.HasPrefix(r.Name, toComplete) {
				names = append(names, r.Name)
			}
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}

// addReleaseCompletion gives every verb whose first argument is RELEASE release completion.
func addReleaseCompletion(s *Settings, root *cobra.Command) {
	for _, c := range root.Commands() {
		if fields := strings.Fields(c.Use); len(fields) > 1 && fields[1] == "RELEASE" && c.ValidArgsFunction == nil {
			c.ValidArgsFunction = completeReleases(s)
		}
	}
}

// completionYAML is helm's static completion file (completion.yaml at the plugin root) for
// this command tree: every verb with its own flags. TestCompletionYAML keeps the file current.
func completionYAML(root *cobra.Command) string {
	var b strings.Builder
	b.WriteString("# Static shell completion for `helm sparkmr3` (verbs and their flags); plugin.complete\n")
	b.WriteString("# answers the rest (release names). Regenerate: go test ./plugin/cli -run TestCompletionYAML -update\n")
	b.WriteString("name: sparkmr3\ncommands:\n")
	for _, c := range root.Commands() {
		if c.Name() == "help" || c.Name() == "completion" {
			continue
		}
		var flags []string
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			// Quoted: YAML 1.1 reads a bare y or n as a boolean.
			flags = append(flags, fmt.Sprintf("%q", f.Name))
			if f.Shorthand != "" {
				flags = append(flags, fmt.Sprintf("%q", f.Shorthand))
			}
		})
		fmt.Fprintf(&b, "  - name: %s\n    flags: [%s]\n", c.Name(), strings.Join(flags, ", "))
	}
	return b.String()
}
