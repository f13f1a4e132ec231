package driver

import (
	"fmt"
	"os"
	"sync"

	"golang.org/x/term"
	"k8s.io/client-go/tools/remotecommand"
)

// Terminal puts a local terminal in raw mode for an interactive remote shell: keys, Ctrl-C
// included, go to the remote process as bytes, and the remote side learns the window size and
// each resize (SIGWINCH).
type Terminal struct {
	in, out  *os.File
	state    *term.State
	sizes    chan remotecommand.TerminalSize
	stop     chan struct{}
	stopOnce sync.Once
}

// StartTerminal makes in raw and starts following out's window size. Call Restore when done.
func StartTerminal(in, out *os.File) (*Terminal, error) {
	state, err := term.MakeRaw(int(in.Fd()))
	if err != nil {
		return nil, fmt.Errorf("put the terminal in raw mode: %w", err)
	}
	t := &Terminal{in: in, out: out, state: state, sizes: make(chan remotecommand.TerminalSize, 1), stop: make(chan struct{})}
	t.pushSize()
	t.watchResize()
	return t, nil
}

// SizeQueue is what Exec needs to pass resizes on.
func (t *Terminal) SizeQueue() remotecommand.TerminalSizeQueue { return sizeQueue{t} }

// Restore leaves raw mode and stops following resizes.
func (t *Terminal) Restore() {
	t.stopOnce.Do(func() {
		close(t.stop)
		_ = term.Restore(int(t.in.Fd()), t.state)
	})
}

// pushSize queues the current size, replacing a size not yet sent: only the latest matters.
func (t *Terminal) pushSize() {
	w, h, err := term.GetSize(int(t.out.Fd()))
	if err != nil {
		if w, h, err = term.GetSize(int(t.in.Fd())); err != nil {
			return
		}
	}
	size := remotecommand.TerminalSize{Width: uint16(w), Height: uint16(h)}
	for {
		select {
		case t.sizes <- size:
			return
		default:
			select {
			case <-t.sizes:
			default:
			}
		}
	}
}

type sizeQueue struct{ t *Terminal }

func (q sizeQueue) Next() *remotecommand.TerminalSize {
	select {
	case s := <-q.t.sizes:
		return &s
	case <-q.t.stop:
		return nil
	}
}
