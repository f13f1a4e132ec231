package rollout

import (
	"fmt"
	"io"
	"time"
)

// Printer shows Wait's progress events. Resources that are ready at the first look are not
// shown, so a ready release prints nothing. On a terminal it keeps one live line per resource
// and rewrites them in place; otherwise it prints one line per state change, for logs.
type Printer struct {
	w      io.Writer
	tty    bool
	start  time.Time
	order  []string
	states map[string]ResourceState
	drawn  int
}

// NewPrinter writes to w; tty selects the live display.
func NewPrinter(w io.Writer, tty bool) *Printer {
	return &Printer{w: w, tty: tty, states: map[string]ResourceState{}}
}

// Event is a Progress function for Options.
func (p *Printer) Event(e Event) {
	if p.start.IsZero() {
		p.start = e.Time
	}
	if e.Done {
		if len(p.order) == 0 {
			return
		}
		if p.tty {
			p.redraw()
		}
		fmt.Fprintf(p.w, "ready after %s\n", e.Time.Sub(p.start).Round(10*time.Millisecond))
		return
	}
	key := e.State.Key()
	if _, seen := p.states[key]; !seen {
		if e.Initial && e.State.Ready {
			return
		}
		p.order = append(p.order, key)
	}
	p.states[key] = e.State
	if p.tty {
		p.redraw()
		return
	}
	prefix := "waiting: "
	if !e.Initial {
		prefix = fmt.Sprintf("[%s] ", e.Time.Sub(p.start).Round(10*time.Millisecond))
	}
	fmt.Fprintf(p.w, "%s%s\n", prefix, e.State)
}

func (p *Printer) redraw() {
	if p.drawn > 0 {
		fmt.Fprintf(p.w, "\x1b[%dA", p.drawn)
	}
	for _, key := range p.order {
		st := p.states[key]
		mark := "…"
		if st.Ready {
			mark = "✓"
		}
		fmt.Fprintf(p.w, "\x1b[2K\r%s %s\n", mark, st)
	}
	p.drawn = len(p.order)
}
