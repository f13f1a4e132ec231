package driver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/remotecommand"
	criremote "k8s.io/cri-streaming/pkg/streaming/remotecommand"
	"k8s.io/klog/v2"
	utilexec "k8s.io/utils/exec"
)

func TestMain(m *testing.M) {
	// The streaming library logs each refused WebSocket upgrade (the fallback to SPDY at work).
	klog.SetOutput(io.Discard)
	klog.LogToStderr(false)
	os.Exit(m.Run())
}

// kubeletExecutor runs the requested argv as a process on this machine, the way kwok's
// ClusterExec does, and reports a non-zero exit the way a kubelet's runtime does: as a
// k8s.io/utils/exec.CodeExitError, which the streaming library turns into a NonZeroExitCode
// status.
type kubeletExecutor struct {
	mu     sync.Mutex
	cmds   [][]string
	sizes  []criremote.TerminalSize
	gotTTY bool
}

func (e *kubeletExecutor) ExecInContainer(ctx context.Context, name, uid, container string, cmd []string,
	in io.Reader, out, errw io.WriteCloser, tty bool, resize <-chan criremote.TerminalSize, timeout time.Duration) error {
	e.mu.Lock()
	e.cmds = append(e.cmds, cmd)
	e.gotTTY = tty
	e.mu.Unlock()
	if tty && len(cmd) > 0 && cmd[0] == "report-size" {
		size := <-resize
		e.mu.Lock()
		e.sizes = append(e.sizes, size)
		e.mu.Unlock()
		_, err := fmt.Fprintf(out, "%dx%d\n", size.Width, size.Height)
		return err
	}
	c := exec.CommandContext(ctx, cmd[0], cmd[1:]...)
	if in != nil {
		c.Stdin = in
	}
	c.Stdout = out
	if errw != nil {
		c.Stderr = errw
	}
	err := c.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.Exited() {
		return utilexec.CodeExitError{Err: err, Code: ee.ExitCode()}
	}
	return err
}

// kubeletServer serves pods/exec with the kubelet's own streaming library. The client-go
// WebSocket executor offers only protocol v5, which this library (like a kubelet addressed
// directly) does not speak, so Exec's fallback to SPDY is exercised too.
func kubeletServer(t *testing.T) (*rest.Config, *kubeletExecutor) {
	t.Helper()
	ex := &kubeletExecutor{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/exec") {
			http.NotFound(w, r)
			return
		}
		// The API server turns pods/exec's PodExecOptions into the kubelet's own parameters
		// (input/output/error/tty); do the same here.
		q := r.URL.Query()
		opts := &criremote.Options{Stdin: q.Get("stdin") == "true", Stdout: q.Get("stdout") == "true",
			Stderr: q.Get("stderr") == "true", TTY: q.Get("tty") == "true"}
		criremote.ServeExec(w, r, ex, "driver-0", "uid", q.Get("container"), q["command"], opts,
			time.Minute, criremote.DefaultStreamCreationTimeout, criremote.SupportedStreamingProtocols)
	}))
	t.Cleanup(srv.Close)
	return &rest.Config{Host: srv.URL}, ex
}

func TestExecPassesExitCode(t *testing.T) {
	cfg, _ := kubeletServer(t)
	var out, errOut bytes.Buffer
	code, err := Exec(context.Background(), cfg, ExecOptions{Namespace: "ns", Pod: "driver-0", Container: "driver",
		Command: []string{"sh", "-c", "echo out; echo err >&2; exit 7"}, Stdout: &out, Stderr: &errOut})
	if err != nil {
		t.Fatal(err)
	}
	if code != 7 {
		t.Fatalf("exit code: got %d, want 7", code)
	}
	if out.String() != "out\n" || errOut.String() != "err\n" {
		t.Fatalf("streams: stdout %q stderr %q", out.String(), errOut.String())
	}
}

func TestExecZeroExit(t *testing.T) {
	cfg, _ := kubeletServer(t)
	code, err := Exec(context.Background(), cfg, ExecOptions{Namespace: "ns", Pod: "driver-0", Container: "driver",
		Command: []string{"true"}, Stdout: io.Discard})
	if err != nil || code != 0 {
		t.Fatalf("got %d, %v", code, err)
	}
}

func TestExecArgsWithSpacesAndQuotesSurvive(t *testing.T) {
	cfg, ex := kubeletServer(t)
	args := []string{"--driver-java-options", "-Da=1 -Db='two words'", "--conf", `spark.x=a "quoted" b`, "--jars", "a.jar,b c.jar", "", "$HOME", "tab\there"}
	var out bytes.Buffer
	code, err := Exec(context.Background(), cfg, ExecOptions{Namespace: "ns", Pod: "driver-0", Container: "driver",
		Command: append([]string{"printf", `[%s]\n`}, args...), Stdout: &out})
	if err != nil || code != 0 {
		t.Fatalf("got %d, %v", code, err)
	}
	var want strings.Builder
	for _, a := range args {
		fmt.Fprintf(&want, "[%s]\n", a)
	}
	if out.String() != want.String() {
		t.Fatalf("args changed on the way:\n got %q\nwant %q", out.String(), want.String())
	}
	if got := ex.cmds[0][2:]; strings.Join(got, "\x00") != strings.Join(args, "\x00") {
		t.Fatalf("kubelet saw %q", got)
	}
}

func TestExecStdinRoundTrip(t *testing.T) {
	cfg, _ := kubeletServer(t)
	in := bytes.Repeat([]byte("line of input\x00\xff\n"), 64*1024) // ~1 MiB, binary-safe
	var out bytes.Buffer
	code, err := Exec(context.Background(), cfg, ExecOptions{Namespace: "ns", Pod: "driver-0", Container: "driver",
		Command: []string{"cat"}, Stdin: bytes.NewReader(in), Stdout: &out})
	if err != nil || code != 0 {
		t.Fatalf("got %d, %v", code, err)
	}
	if !bytes.Equal(out.Bytes(), in) {
		t.Fatalf("stdin round trip: sent %d bytes, got %d back", len(in), out.Len())
	}
}

type oneSize struct{ sent bool }

func (q *oneSize) Next() *remotecommand.TerminalSize {
	if q.sent {
		return nil
	}
	q.sent = true
	return &remotecommand.TerminalSize{Width: 132, Height: 43}
}

func TestExecTTYSendsTerminalSize(t *testing.T) {
	cfg, ex := kubeletServer(t)
	var out bytes.Buffer
	code, err := Exec(context.Background(), cfg, ExecOptions{Namespace: "ns", Pod: "driver-0", Container: "driver",
		Command: []string{"report-size"}, Stdin: strings.NewReader(""), Stdout: &out, TTY: true, TerminalSizeQueue: &oneSize{}})
	if err != nil || code != 0 {
		t.Fatalf("got %d, %v", code, err)
	}
	if !ex.gotTTY || out.String() != "132x43\n" {
		t.Fatalf("tty %v, output %q", ex.gotTTY, out.String())
	}
}

func TestExecInterruptedByContext(t *testing.T) {
	cfg, _ := kubeletServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	go func() {
		<-started
		time.Sleep(100 * time.Millisecond) // let the stream open
		cancel()
	}()
	pr, pw := io.Pipe() // stdin that never ends
	defer pw.Close()
	code, err := Exec(ctx, cfg, ExecOptions{Namespace: "ns", Pod: "driver-0", Container: "driver",
		Command: []string{"cat"}, Stdin: pr, Stdout: io.Discard, OnStart: func() { close(started) }})
	if !errors.Is(err, ErrInterrupted) || code != -1 {
		t.Fatalf("want ErrInterrupted, got %d, %v", code, err)
	}
}

func TestExecUnreachableServerIsAnError(t *testing.T) {
	code, err := Exec(context.Background(), &rest.Config{Host: "http://127.0.0.1:1"}, ExecOptions{Namespace: "ns", Pod: "p", Container: "driver",
		Command: []string{"true"}, Stdout: io.Discard})
	if err == nil || code != -1 || !strings.Contains(err.Error(), "exec in pod ns/p container driver") {
		t.Fatalf("got %d, %v", code, err)
	}
}
