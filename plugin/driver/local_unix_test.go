//go:build unix

package driver

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRunLocalInterruptStopsTheWholePipeline: MR3's `spark-submit … | tee` — interrupting
// must stop every process of the pipeline, not only the script.
func TestRunLocalInterruptStopsTheWholePipeline(t *testing.T) {
	dir := t.TempDir()
	// The JVM stand-in ignores SIGTERM for a moment (shutdown hooks), then exits.
	script := writeScript(t, dir, "pipeline.sh", `D="$(dirname "$0")"
bash -c 'echo $$ > "$1/jvm"; trap "sleep 0.3; exit 143" TERM; while :; do sleep 0.05; done' _ "$D" 2>&1 | tee "$D/out" > /dev/null
`)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan struct{})
	go func() {
		for {
			if b, err := os.ReadFile(filepath.Join(dir, "jvm")); err == nil && len(b) > 0 {
				close(started)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	done := make(chan error, 1)
	var code int
	go func() {
		var err error
		code, err = RunLocal(ctx, LocalOptions{Script: script, OwnGroup: true, Grace: 5 * time.Second})
		done <- err
	}()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the pipeline did not start")
	}
	cancel()
	if err := <-done; !errors.Is(err, ErrInterrupted) || code != -1 {
		t.Fatalf("got %d, %v", code, err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "jvm"))
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("the pipeline's process %d still runs after the interrupt (kill -0: %v)", pid, err)
	}
}
