package cli

import "github.com/spf13/cobra"

// newLogsCmd is a placeholder until the verb lands (issue 16); it is hidden and refuses to run.
func newLogsCmd(s *Settings) *cobra.Command {
	return &cobra.Command{
		Use:    "logs",
		Hidden: true,
		RunE:   func(*cobra.Command, []string) error { return UsageError("logs is not built yet") },
	}
}
