package cli

import "github.com/spf13/cobra"

// newUICmd is a placeholder until the verb lands (issue 16); it is hidden and refuses to run.
func newUICmd(s *Settings) *cobra.Command {
	return &cobra.Command{
		Use:    "ui",
		Hidden: true,
		RunE:   func(*cobra.Command, []string) error { return UsageError("ui is not built yet") },
	}
}
