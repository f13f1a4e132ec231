// Package driver runs a Spark driver command for a spark-mr3 release: in a driver Pod through
// the exec subresource (client-go remotecommand, WebSocket with SPDY fallback as kubectl does),
// or on this machine as a driver outside Kubernetes. It picks the driver, builds the command
// line, and passes the command's exit code back. Options (Complete/Validate/Run) is the whole
// `submit`/`shell` flow, so the CLI verbs only read flags.
package driver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes/scheme"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/remotecommand"
	utilexec "k8s.io/client-go/util/exec"
	"k8s.io/streaming/pkg/httpstream"
)

// ExecOptions says what to run where, and with which streams.
type ExecOptions struct {
	Namespace string
	Pod       string
	Container string
	// Command is the argv, passed to the container as is (no shell in between).
	Command []string
	// Stdin, when not nil, is copied to the command's standard input; its EOF closes it.
	Stdin  io.Reader
	Stdout io.Writer
	// Stderr is ignored with TTY (a terminal has one output stream).
	Stderr io.Writer
	TTY    bool
	// TerminalSizeQueue feeds terminal resizes with TTY; may be nil.
	TerminalSizeQueue remotecommand.TerminalSizeQueue
	// OnStart, when set, is called just before the stream is opened.
	OnStart func()
}

// ErrInterrupted is returned when ctx ended (Ctrl-C / SIGINT outside a TTY) before the driver
// command finished; the CLI exits 130.
var ErrInterrupted = errors.New("interrupted")

// Exec runs the command in the Pod's container and returns its exit code. A non-zero code is
// not an error: the kubelet reports it as a NonZeroExitCode status, which client-go turns into
// an exec.CodeExitError, and Exec returns its code. An error means the command could not be
// run or followed to its end (then the code is -1); ctx ending gives ErrInterrupted.
func Exec(ctx context.Context, cfg *rest.Config, o ExecOptions) (int, error) {
	client, err := corev1client.NewForConfig(cfg)
	if err != nil {
		return -1, fmt.Errorf("client for exec: %w", err)
	}
	stderr := o.Stderr
	if o.TTY {
		stderr = nil
	}
	req := client.RESTClient().Post().
		Namespace(o.Namespace).Resource("pods").Name(o.Pod).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{
			Container: o.Container,
			Command:   o.Command,
			Stdin:     o.Stdin != nil,
			Stdout:    o.Stdout != nil,
			Stderr:    stderr != nil,
			TTY:       o.TTY,
		}, scheme.ParameterCodec)
	executor, err := newExecutor(cfg, req)
	if err != nil {
		return -1, err
	}
	if o.OnStart != nil {
		o.OnStart()
	}
	err = executor.StreamWithContext(ctx, remotecommand.StreamOptions{
		Stdin:             o.Stdin,
		Stdout:            o.Stdout,
		Stderr:            stderr,
		Tty:               o.TTY,
		TerminalSizeQueue: o.TerminalSizeQueue,
	})
	return exitCode(ctx, err, fmt.Sprintf("exec in pod %s/%s container %s", o.Namespace, o.Pod, o.Container))
}

// newExecutor is kubectl's choice (k8s.io/kubectl/pkg/cmd/exec): WebSocket (protocol v5,
// which can close stdin) first, SPDY when the server refuses the WebSocket upgrade (older API
// servers, or a kubelet's streaming server addressed directly). The fallback happens only when
// the upgrade was refused, so the command never runs twice.
func newExecutor(cfg *rest.Config, req *rest.Request) (remotecommand.Executor, error) {
	spdy, err := remotecommand.NewSPDYExecutor(cfg, http.MethodPost, req.URL())
	if err != nil {
		return nil, fmt.Errorf("spdy executor: %w", err)
	}
	// WebSocket needs GET (RFC 6455 section 4.1).
	ws, err := remotecommand.NewWebSocketExecutor(cfg, http.MethodGet, req.URL().String())
	if err != nil {
		return nil, fmt.Errorf("websocket executor: %w", err)
	}
	return remotecommand.NewFallbackExecutor(ws, spdy, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	})
}

// exitCode reads the executor's outcome. ctx ending wins over what the stream said last: closing
// the connection ends the remote command, and the server may report that as a normal end (or
// the command's own exit) before the executor sees its context; the user interrupted, so 130.
func exitCode(ctx context.Context, err error, what string) (int, error) {
	if ctx.Err() != nil {
		return -1, ErrInterrupted
	}
	if err == nil {
		return 0, nil
	}
	var ee utilexec.ExitError
	if errors.As(err, &ee) && ee.Exited() {
		return ee.ExitStatus(), nil
	}
	return -1, fmt.Errorf("%s: %w", what, err)
}
