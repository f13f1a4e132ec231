//go:build !unix

package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
)

// run starts the complete CLI with this process's streams, waits, and exits with its code
// (no exec(2) here). Interrupts reach it from the console directly; this process ignores them.
func run(full string, argv []string) error {
	signal.Ignore(os.Interrupt)
	cmd := exec.Command(full, argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		os.Exit(ee.ExitCode())
	}
	if err != nil {
		return fmt.Errorf("run %s: %w", full, err)
	}
	os.Exit(0)
	return nil
}
