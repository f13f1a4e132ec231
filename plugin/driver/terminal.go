package driver

import (
	"io"
	"os"
	"syscall"

	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/kubectl/pkg/util/interrupt"
	"k8s.io/kubectl/pkg/util/term"
)

// inTerminal runs fn with the local terminal in raw mode, as kubectl exec -t does
// (k8s.io/kubectl/pkg/util/term): keys, Ctrl-C included, go to the remote process as bytes, and
// the size queue passed to fn carries the window size and each resize (SIGWINCH). The terminal
// is restored when fn returns, and also on SIGINT, SIGTERM, SIGHUP or SIGQUIT: SIGINT and
// SIGTERM then end the exec through its context (the CLI's signal context), the others end this
// process with 128+signal as an unhandled signal would.
func inTerminal(in io.Reader, out io.Writer, fn func(remotecommand.TerminalSizeQueue) error) error {
	t := term.TTY{In: in, Out: out, Raw: true, Parent: interrupt.New(func(s os.Signal) {
		if s == syscall.SIGINT || s == syscall.SIGTERM {
			return
		}
		if n, ok := s.(syscall.Signal); ok {
			os.Exit(128 + int(n))
		}
		os.Exit(1)
	})}
	var sizes remotecommand.TerminalSizeQueue
	if q := t.MonitorSize(t.GetSize()); q != nil {
		sizes = sizeQueue{q}
	}
	return t.Safe(func() error { return fn(sizes) })
}

// sizeQueue turns kubectl's terminal size queue into client-go's (the same type, kept apart so
// that the terminal package does not import the API client).
type sizeQueue struct{ q term.TerminalSizeQueue }

func (s sizeQueue) Next() *remotecommand.TerminalSize {
	size := s.q.Next()
	if size == nil {
		return nil
	}
	return &remotecommand.TerminalSize{Width: size.Width, Height: size.Height}
}
