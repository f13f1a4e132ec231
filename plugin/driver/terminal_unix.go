//go:build !windows

package driver

import (
	"os"
	"os/signal"
	"syscall"
)

func (t *Terminal) watchResize() {
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, syscall.SIGWINCH)
	go func() {
		defer signal.Stop(winch)
		for {
			select {
			case <-winch:
				t.pushSize()
			case <-t.stop:
				return
			}
		}
	}()
}
