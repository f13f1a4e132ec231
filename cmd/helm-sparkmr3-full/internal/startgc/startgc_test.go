package startgc

import (
	"os"
	"runtime/debug"
	"testing"
)

func TestOffDuringInitThenRestored(t *testing.T) {
	if os.Getenv("GOGC") != "" {
		t.Skip("GOGC is set; the default is what this checks")
	}
	if got := debug.SetGCPercent(-1); got != -1 {
		t.Fatalf("GC percent after package init = %d, want -1 (off)", got)
	}
	Restore()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("GC percent after Restore = %d, want 100 (the default)", got)
	}
}
