package cli

import "github.com/spf13/cobra"

// newDoctorCmd is a placeholder until the verb lands (issue 16); it is hidden and refuses to run.
func newDoctorCmd(s *Settings) *cobra.Command {
	return &cobra.Command{
		Use:    "doctor",
		Hidden: true,
		RunE:   func(*cobra.Command, []string) error { return UsageError("doctor is not built yet") },
	}
}
