//go:build unix

package main

import (
	"fmt"
	"os"
	"syscall"
)

// run replaces this process with the complete CLI; it returns only when that fails.
func run(full string, argv []string) error {
	args := append([]string{full}, argv[1:]...)
	if err := syscall.Exec(full, args, os.Environ()); err != nil {
		return fmt.Errorf("run %s: %w", full, err)
	}
	return nil
}
