//go:build windows

package driver

// Windows has no SIGWINCH: the remote side keeps the size it got at the start.
func (t *Terminal) watchResize() {}
