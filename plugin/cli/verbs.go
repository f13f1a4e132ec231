package cli

import "github.com/spf13/cobra"

// verbs lists the constructors of every verb, in help order. Each verb file adds itself here
// in one line, so verb files never touch each other.
var verbs = []func(*Settings) *cobra.Command{
	newInstallCmd,
	newUpgradeCmd,
	newEnvCmd,
	newValuesCmd,
	newSubmitCmd,
	newShellCmd,
	newStatusCmd,
	newLogsCmd,
	newUICmd,
	newCheckCmd,
	newPostrenderCmd,
	newTeardownCmd,
	newDoctorCmd,
	newVersionCmd,
}
