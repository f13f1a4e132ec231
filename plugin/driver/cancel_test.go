package driver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes/fake"
)

// waitFile waits until path exists and holds a line, and returns it.
func waitFile(t *testing.T, path string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if b, err := os.ReadFile(path); err == nil && strings.HasSuffix(string(b), "\n") {
			return strings.TrimSpace(string(b))
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never appeared", path)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// groupGone reports whether process group pgid has no live process left (zombies not
// counted: the test machine's init may reap the job's orphans late), waiting up to 2 s.
func groupGone(pgid int) bool {
	deadline := time.Now().Add(2 * time.Second)
	for {
		if !groupAlive(pgid) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// processAlive reports whether pid runs and is not a zombie, waiting up to 2 s for it to end.
func processAlive(pid int) bool {
	deadline := time.Now().Add(2 * time.Second)
	for {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return false
		}
		s := string(b)
		if f := strings.Fields(s[strings.LastIndex(s, ")")+1:]); len(f) > 0 && f[0] == "Z" {
			return false
		}
		if time.Now().After(deadline) {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func groupAlive(pgid int) bool {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		s := string(b)
		fields := strings.Fields(s[strings.LastIndex(s, ")")+1:])
		if len(fields) > 2 && fields[0] != "Z" && fields[2] == strconv.Itoa(pgid) {
			return true
		}
	}
	return false
}

// TestRunInterruptStopsTheJobInThePod: when the stream ends, the exec server either kills the
// process it started (as kwok does) or leaves it running (as a real kubelet does); either way
// the job's process group (the script, and its pipeline `sleep | cat`) is stopped by the
// second exec, SIGTERM first, and SIGKILL after the grace period for a job that ignores
// SIGTERM; the wrapper ends too and the run dir is removed.
func TestRunInterruptStopsTheJobInThePod(t *testing.T) {
	for _, tc := range []struct {
		name, body, want string
		leaveRunning     bool
	}{
		{"ends on SIGTERM", "sleep 30 | cat\n", "ended on SIGTERM", false},
		{"ignores SIGTERM", "trap '' TERM\nsleep 30 | cat\n", "did not end within 1s of SIGTERM", false},
		{"kubelet leaves the command running", "sleep 30 | cat\n", "ended on SIGTERM", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, ex := kubeletServer(t, true)
			ex.leaveRunning = tc.leaveRunning
			rec := t.TempDir()
			script := writeScript(t, t.TempDir(), "spark/run-spark-submit.sh", "echo $$ > "+rec+"/pid.tmp; mv "+rec+"/pid.tmp "+rec+"/pid\n"+tc.body)
			objs := append(releaseObjects(siteWithAliases(""), "spark1"), readyPod("spark1", script))
			var errOut lockedBuffer
			o := &Options{Verb: Submit, Release: testRel, Namespace: testNS, Args: []string{"--localthread"}, Grace: time.Second,
				IO:     genericiooptions.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &errOut},
				Config: cfg, Client: fake.NewClientset(objs...)}
			if err := o.Complete(); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancelCause(context.Background())
			done := make(chan error, 1)
			go func() { done <- o.Run(ctx) }()
			pgid, err := strconv.Atoi(waitFile(t, filepath.Join(rec, "pid")))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = syscall.Kill(-pgid, syscall.SIGKILL) })
			cancel(errors.New("interrupted (SIGINT)"))
			if err := <-done; !errors.Is(err, ErrInterrupted) {
				t.Fatalf("want ErrInterrupted, got %v", err)
			}
			if !groupGone(pgid) {
				t.Fatalf("process group %d of the job outlived the interrupt\n%s", pgid, errOut.String())
			}
			for _, want := range []string{"interrupted (SIGINT): stopping the driver command in pod spark/spark1-0 container driver (SIGTERM to its process group, SIGKILL after 1s)",
				fmt.Sprintf("process group %d %s", pgid, tc.want)} {
				if !strings.Contains(errOut.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, errOut.String())
				}
			}
			stop := ex.cmds[len(ex.cmds)-1]
			if len(stop) != 6 || stop[2] != stopScript || stop[4] != ex.cmds[0][4] || stop[5] != "1" {
				t.Fatalf("second exec %q, want the stop script for run dir %s", stop, ex.cmds[0][4])
			}
			if _, err := os.Stat(stop[4]); !os.IsNotExist(err) {
				t.Fatalf("run dir %s left after the stop", stop[4])
			}
			ex.mu.Lock()
			wrapper := ex.pids[0]
			ex.mu.Unlock()
			if processAlive(wrapper) {
				t.Fatalf("the wrapper (pid %d) outlived its job", wrapper)
			}
		})
	}
}

// TestWrapperAndStopScripts runs the two scripts with bash on this machine: the job's exit
// code comes through the wrapper; a stop before the job started keeps it from starting; a
// stop after it ended finds nothing.
func TestWrapperAndStopScripts(t *testing.T) {
	run := func(argv []string) (string, int) {
		t.Helper()
		var out bytes.Buffer
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return out.String(), ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return out.String(), 0
	}
	dir := filepath.Join(t.TempDir(), "spark-submit-result", runDirPrefix+"1")
	out, code := run(wrapCommand(dir, []string{Bash, "-o", "pipefail", "-c", `{ echo ran; exit 7; } | cat`}))
	if code != 7 || out != "ran\n" {
		t.Fatalf("wrapper: exit %d, output %q; want 7 and the job's output only", code, out)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("run dir left: %v", err)
	}
	stop := []string{Bash, "-c", stopScript, "sparkmr3-stop", dir, "1"}
	if out, code := run(stop); code != 0 || out != "none\n" {
		t.Fatalf("stop after the end: exit %d, %q", code, out)
	}
	// Stopped before it started: the marker outlives the stop only until it removes the dir,
	// so recreate the order a slow exec would see: marker present when the job starts.
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cancelled"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	out, code = run(wrapCommand(dir, []string{Bash, "-c", "echo started"}))
	if code != 143 || strings.Contains(out, "started") {
		t.Fatalf("a cancelled run started: exit %d, %q", code, out)
	}
}

func TestStopReason(t *testing.T) {
	live := context.Background()
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	signalled, cancelCause := context.WithCancelCause(context.Background())
	cancelCause(errors.New("terminated (SIGTERM)"))
	refused := apierrors.NewForbidden(schema.GroupResource{Resource: "pods/exec"}, "spark1-0", errors.New("no RBAC"))
	for _, tc := range []struct {
		name        string
		ctx, jobCtx context.Context
		err         error
		want        string
	}{
		{"signal", signalled, signalled, ErrInterrupted, "terminated (SIGTERM)"},
		{"plain cancel", ended, ended, ErrInterrupted, "interrupted"},
		{"DAGAppMaster refused", live, ended, ErrInterrupted, "the DAGAppMaster cannot start"},
		{"stream broke", live, live, errors.New("exec in pod x: connection reset by peer"), "the exec stream broke"},
		{"exec refused: never started", live, live, fmt.Errorf("exec in pod x: %w", refused), ""},
	} {
		if got := stopReason(tc.ctx, tc.jobCtx, tc.err); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// lockedBuffer is a bytes.Buffer safe to write from the command's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
