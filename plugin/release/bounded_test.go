package release

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestBoundedGivesUpOnAHangingCleanUp(t *testing.T) {
	want := errors.New("done")
	if err := bounded(time.Second, func() error { return want }); err != want {
		t.Fatalf("a finished clean-up: %v", err)
	}
	block := make(chan struct{})
	defer close(block)
	start := time.Now()
	err := boundedFor(20*time.Millisecond, func() error { <-block; return nil })
	if err == nil || !strings.Contains(err.Error(), "no answer from the cluster") || time.Since(start) > 5*time.Second {
		t.Fatalf("a hanging clean-up: %v after %s", err, time.Since(start))
	}
}
