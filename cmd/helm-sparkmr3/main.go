// Command helm-sparkmr3 is the `helm sparkmr3` plugin: it builds the root command and maps
// errors to exit codes. Everything else lives in plugin/.
package main

import (
	"fmt"
	"os"

	"github.com/spark-mr3/spark-mr3/cmd/helm-sparkmr3/internal/startgc"
	"github.com/spark-mr3/spark-mr3/plugin/cli"
)

func main() {
	startgc.Restore()
	s := cli.NewSettings(os.Stdin, os.Stdout, os.Stderr)
	err := cli.NewRootCommand(s).Execute()
	if err != nil {
		fmt.Fprintf(os.Stderr, "Error: %v\n", err)
	}
	os.Exit(cli.ExitCode(err))
}
