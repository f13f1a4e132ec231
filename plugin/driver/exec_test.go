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

	"k8s.io/apiserver/pkg/util/proxy"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/remotecommand"
	criremote "k8s.io/cri-streaming/pkg/streaming/remotecommand"
	"k8s.io/klog/v2"
	"k8s.io/streaming/pkg/httpstream/wsstream"
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
	// websocket says, for each exec request the API server got, whether it asked for WebSocket.
	websocket []bool
	// leaveRunning makes the executor behave like a real kubelet when the stream ends early:
	// the command keeps running (kwok, and the default here, kill the process they started).
	leaveRunning bool
	// pids are the processes started, in order.
	pids []int
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
	if e.leaveRunning {
		c = exec.Command(cmd[0], cmd[1:]...)
	}
	if in != nil {
		c.Stdin = in
	}
	c.Stdout = out
	if errw != nil {
		c.Stderr = errw
	}
	if err := c.Start(); err != nil {
		return err
	}
	e.mu.Lock()
	e.pids = append(e.pids, c.Process.Pid)
	e.mu.Unlock()
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		if !e.leaveRunning {
			err = <-done
			break
		}
		// The stream is gone; the command is not. Reap it when it ends.
		return ctx.Err()
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.Exited() {
		return utilexec.CodeExitError{Err: err, Code: ee.ExitCode()}
	}
	return err
}

// kubeletServer serves pods/exec the way a cluster does, with Kubernetes' own libraries. The
// kubelet's streaming library (cri-streaming) serves SPDY (and WebSocket protocols older than
// v5). In front of it, as the API server does, a WebSocket v5 request goes through the API
// server's stream translator (k8s.io/apiserver/pkg/util/proxy), which speaks SPDY to the
// kubelet. Without the translator (translate false: an old API server, or a kubelet addressed
// directly) client-go's WebSocket upgrade is refused and Exec falls back to SPDY. The
// executor's requests are counted by the protocol they asked for.
func kubeletServer(t *testing.T, translate bool) (*rest.Config, *kubeletExecutor) {
	t.Helper()
	ex := &kubeletExecutor{}
	mux := http.NewServeMux()
	var srv *httptest.Server
	mux.HandleFunc("/kubelet/exec", func(w http.ResponseWriter, r *http.Request) {
		// The API server turns pods/exec's PodExecOptions into the kubelet's own parameters
		// (input/output/error/tty); do the same here.
		q := r.URL.Query()
		opts := &criremote.Options{Stdin: q.Get("stdin") == "true", Stdout: q.Get("stdout") == "true",
			Stderr: q.Get("stderr") == "true", TTY: q.Get("tty") == "true"}
		criremote.ServeExec(w, r, ex, "driver-0", "uid", q.Get("container"), q["command"], opts,
			time.Minute, criremote.DefaultStreamCreationTimeout, criremote.SupportedStreamingProtocols)
	})
	mux.HandleFunc("/api/v1/namespaces/{ns}/pods/{pod}/exec", func(w http.ResponseWriter, r *http.Request) {
		ex.mu.Lock()
		ex.websocket = append(ex.websocket, wsstream.IsWebSocketRequest(r))
		ex.mu.Unlock()
		kubelet := *r.URL
		kubelet.Scheme, kubelet.Host, kubelet.Path = "http", strings.TrimPrefix(srv.URL, "http://"), "/kubelet/exec"
		if translate && wsstream.IsWebSocketRequestWithStreamCloseProtocol(r) {
			q := r.URL.Query()
			proxy.NewStreamTranslatorHandler(&kubelet, nil, 0, proxy.Options{Stdin: q.Get("stdin") == "true",
				Stdout: q.Get("stdout") == "true", Stderr: q.Get("stderr") == "true", Tty: q.Get("tty") == "true"}).ServeHTTP(w, r)
			return
		}
		r.URL = &kubelet
		mux.ServeHTTP(w, r)
	})
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &rest.Config{Host: srv.URL}, ex
}

// protocols are the two ways an exec reaches the kubelet.
var protocols = []struct {
	name      string
	translate bool
}{{"websocket", true}, {"spdy fallback", false}}

// eachProtocol runs test against a server of each kind and checks which protocol Exec used.
func eachProtocol(t *testing.T, test func(t *testing.T, cfg *rest.Config, ex *kubeletExecutor)) {
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			cfg, ex := kubeletServer(t, p.translate)
			test(t, cfg, ex)
			ex.mu.Lock()
			defer ex.mu.Unlock()
			want := []bool{true}
			if !p.translate {
				want = []bool{true, false} // refused WebSocket upgrade, then SPDY
			}
			if fmt.Sprint(ex.websocket) != fmt.Sprint(want) {
				t.Errorf("requests (websocket?): got %v, want %v", ex.websocket, want)
			}
		})
	}
}

func TestExecPassesExitCode(t *testing.T) {
	eachProtocol(t, func(t *testing.T, cfg *rest.Config, _ *kubeletExecutor) {
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
	})
}

func TestExecZeroExit(t *testing.T) {
	eachProtocol(t, func(t *testing.T, cfg *rest.Config, _ *kubeletExecutor) {
		code, err := Exec(context.Background(), cfg, ExecOptions{Namespace: "ns", Pod: "driver-0", Container: "driver",
			Command: []string{"true"}, Stdout: io.Discard})
		if err != nil || code != 0 {
			t.Fatalf("got %d, %v", code, err)
		}
	})
}

func TestExecArgsWithSpacesAndQuotesSurvive(t *testing.T) {
	eachProtocol(t, func(t *testing.T, cfg *rest.Config, ex *kubeletExecutor) {
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
	})
}

func TestExecStdinRoundTrip(t *testing.T) {
	eachProtocol(t, func(t *testing.T, cfg *rest.Config, _ *kubeletExecutor) {
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
	})
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
	eachProtocol(t, func(t *testing.T, cfg *rest.Config, ex *kubeletExecutor) {
		var out bytes.Buffer
		code, err := Exec(context.Background(), cfg, ExecOptions{Namespace: "ns", Pod: "driver-0", Container: "driver",
			Command: []string{"report-size"}, Stdin: strings.NewReader(""), Stdout: &out, TTY: true, TerminalSizeQueue: &oneSize{}})
		if err != nil || code != 0 {
			t.Fatalf("got %d, %v", code, err)
		}
		if !ex.gotTTY || out.String() != "132x43\n" {
			t.Fatalf("tty %v, output %q", ex.gotTTY, out.String())
		}
	})
}

func TestExecInterruptedByContext(t *testing.T) {
	eachProtocol(t, func(t *testing.T, cfg *rest.Config, _ *kubeletExecutor) {
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
	})
}

func TestExecUnreachableServerIsAnError(t *testing.T) {
	code, err := Exec(context.Background(), &rest.Config{Host: "http://127.0.0.1:1"}, ExecOptions{Namespace: "ns", Pod: "p", Container: "driver",
		Command: []string{"true"}, Stdout: io.Discard})
	if err == nil || code != -1 || !strings.Contains(err.Error(), "exec in pod ns/p container driver") {
		t.Fatalf("got %d, %v", code, err)
	}
}

func TestExitCode(t *testing.T) {
	live := context.Background()
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	exit3 := utilexec.CodeExitError{Err: errors.New("exit 3"), Code: 3}
	for _, c := range []struct {
		name     string
		ctx      context.Context
		err      error
		wantCode int
		wantErr  string
	}{
		{"success", live, nil, 0, ""},
		{"command's exit code", live, exit3, 3, ""},
		{"stream broken", live, errors.New("connection reset"), -1, "exec in pod ns/p container driver: connection reset"},
		// Ctrl-C: closing the stream may end the command and be reported as a normal end or
		// as the command's own exit; the interruption wins (exit 130, never 0).
		{"interrupted, stream ended cleanly", ended, nil, -1, ErrInterrupted.Error()},
		{"interrupted, command exited", ended, exit3, -1, ErrInterrupted.Error()},
		{"interrupted, context error", ended, context.Canceled, -1, ErrInterrupted.Error()},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, err := exitCode(c.ctx, c.err, "exec in pod ns/p container driver")
			got := ""
			if err != nil {
				got = err.Error()
			}
			if code != c.wantCode || got != c.wantErr {
				t.Fatalf("got %d, %v; want %d, %q", code, err, c.wantCode, c.wantErr)
			}
		})
	}
}
