// Command helm-sparkmr3 is the `helm sparkmr3` plugin's entry binary. It serves `version` and
// `postrender` itself, linking only plugin/quickcli and plugin/postrender: without the Helm and
// Kubernetes SDKs a process starts in about 5 ms instead of 20 (helm runs the post-renderer
// once per render; docs/PERFORMANCE.md P2, P3). Every other command line goes, unchanged, to
// helm-sparkmr3-full in the same directory, which replaces this process (exec), so signals,
// streams, the terminal and the exit code are that binary's own.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spark-mr3/spark-mr3/plugin/quickcli"
)

// FullBinary is the complete CLI's file name, next to this binary.
const FullBinary = "helm-sparkmr3-full"

func main() {
	args := os.Args[1:]
	if quickcli.Serves(args) {
		os.Exit(quickcli.Main(args, quickcli.Streams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
			Getenv: os.Getenv, IsTerminal: quickcli.IsTerminal}))
	}
	full, err := fullBinary()
	if err == nil {
		err = run(full, os.Args) // returns only on failure (on Unix)
	}
	fmt.Fprintf(os.Stderr, "Error: %v\n", err)
	os.Exit(quickcli.ExitError)
}

// fullBinary finds helm-sparkmr3-full next to this executable.
func fullBinary() (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find this executable to run %s next to it: %w", FullBinary, err)
	}
	if resolved, err := filepath.EvalSymlinks(self); err == nil {
		self = resolved
	}
	full := filepath.Join(filepath.Dir(self), FullBinary)
	if _, err := os.Stat(full); err != nil {
		return "", fmt.Errorf("%s is missing next to %s (%v): the plugin is half-built; rebuild it with `helm plugin update sparkmr3` or `make build` (which builds both binaries)", FullBinary, self, err)
	}
	return full, nil
}
