//go:build unix

package driver

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
	"time"
)

func setOwnGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// signalDriver sends sig to the process, or to its process group (whose id is its pid).
func signalDriver(p *os.Process, group bool, sig syscall.Signal) {
	if group {
		_ = syscall.Kill(-p.Pid, sig)
		return
	}
	_ = p.Signal(sig)
}

// waitGroupGone waits until process group pgid has no process left, or until deadline fires;
// it reports whether the group is gone. There is no event for "a process group emptied", so
// it looks every 50 ms.
func waitGroupGone(pgid int, deadline <-chan time.Time) bool {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
			return true
		}
		select {
		case <-deadline:
			return false
		case <-tick.C:
		}
	}
}
