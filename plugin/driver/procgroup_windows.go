//go:build windows

package driver

import (
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Windows has no process groups to signal: the script alone is stopped.
func setOwnGroup(*exec.Cmd) {}

func signalDriver(p *os.Process, _ bool, sig syscall.Signal) {
	if sig == syscall.SIGKILL {
		_ = p.Kill()
		return
	}
	_ = p.Signal(sig)
}

func waitGroupGone(int, <-chan time.Time) bool { return true }
