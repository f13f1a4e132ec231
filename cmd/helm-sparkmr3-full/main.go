// Command helm-sparkmr3-full is the complete `helm sparkmr3` CLI: it builds the root command
// and maps errors to exit codes. Everything else lives in plugin/. The plugin's entry binary
// (cmd/helm-sparkmr3) runs it for every verb but `version` and `postrender`, which it serves
// itself without linking the SDKs; run directly, this binary serves those two as well.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"

	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"

	"github.com/spark-mr3/spark-mr3/cmd/helm-sparkmr3-full/internal/startgc"
	"github.com/spark-mr3/spark-mr3/plugin/cli"
)

func main() {
	startgc.Restore() // the collector was off while linked packages initialized (P3 start-up)
	quietClientGo()
	s := cli.NewSettings(os.Stdin, os.Stdout, os.Stderr)
	err := cli.NewRootCommand(s).Execute()
	if err != nil {
		fmt.Fprintf(os.Stderr, "Error: %v\n", err)
	}
	os.Exit(cli.ExitCode(err))
}

// quietClientGo keeps client-go's internal logging (reflector retries, throttling notes) off
// the user's terminal unless helm runs with --debug (HELM_DEBUG): each verb reports failures
// itself in one actionable message. API server warnings are still shown, one line each.
func quietClientGo() {
	rest.SetDefaultWarningHandler(rest.NewWarningWriter(os.Stderr, rest.WarningWriterOptions{Deduplicate: true}))
	if debug, _ := strconv.ParseBool(os.Getenv("HELM_DEBUG")); debug {
		return
	}
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	_ = fs.Set("logtostderr", "false")
	_ = fs.Set("alsologtostderr", "false")
	_ = fs.Set("stderrthreshold", "FATAL")
	klog.SetOutput(io.Discard)
}
