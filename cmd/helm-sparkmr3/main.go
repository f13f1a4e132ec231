// Command helm-sparkmr3 is the `helm sparkmr3` plugin: it builds the root command, runs it and
// maps its error to the exit code (plugin/exitcode). Everything else lives in plugin/. Helm's
// post-renderer is the `postrender` verb of this same binary.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"

	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"

	"github.com/spark-mr3/spark-mr3/plugin/cli"
	"github.com/spark-mr3/spark-mr3/plugin/exitcode"
)

func main() {
	quietClientGo()
	s := cli.NewSettings(os.Stdin, os.Stdout, os.Stderr)
	err := cli.Execute(s, os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "Error: %v\n", err)
	}
	os.Exit(exitcode.Of(err))
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
