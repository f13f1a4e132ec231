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

	corev1 "k8s.io/api/core/v1"
	apihttpstream "k8s.io/apimachinery/pkg/util/httpstream"
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
	// Preconnect, when not nil, holds a connection opened while waiting: the exec goes over it
	// with SPDY (WebSocket when the upgrade is refused) instead of dialing now.
	Preconnect *Preconnect
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
	executor, err := newExecutor(cfg, req, o.Preconnect)
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

// newExecutor is kubectl's choice: WebSocket (protocol v5, which can close stdin) first, SPDY
// when the server refuses the WebSocket upgrade (older API servers, or a kubelet's streaming
// server addressed directly). With a Preconnect, the WebSocket exec goes over its waiting
// connection.
func newExecutor(cfg *rest.Config, req *rest.Request, pre *Preconnect) (remotecommand.Executor, error) {
	spdy := &lazyExecutor{make: func() (remotecommand.Executor, error) {
		return remotecommand.NewSPDYExecutor(cfg, "POST", req.URL())
	}}
	if pre != nil {
		return remotecommand.NewFallbackExecutor(newWSExecutor(cfg, pre, req.URL().String()), spdy, upgradeRefused)
	}
	ws, err := remotecommand.NewWebSocketExecutor(cfg, "GET", req.URL().String())
	if err != nil {
		return nil, fmt.Errorf("websocket executor: %w", err)
	}
	return remotecommand.NewFallbackExecutor(ws, spdy, upgradeRefused)
}

// lazyExecutor builds the fallback executor only when it is needed: its TLS setup is not free,
// and it sits between "Ready" and the exec.
type lazyExecutor struct {
	make func() (remotecommand.Executor, error)
}

func (l *lazyExecutor) Stream(o remotecommand.StreamOptions) error {
	return l.StreamWithContext(context.Background(), o)
}

func (l *lazyExecutor) StreamWithContext(ctx context.Context, o remotecommand.StreamOptions) error {
	e, err := l.make()
	if err != nil {
		return fmt.Errorf("spdy executor: %w", err)
	}
	return e.StreamWithContext(ctx, o)
}

// upgradeRefused: the server (or a proxy) answered the upgrade request without switching
// protocols, so the other protocol may work.
func upgradeRefused(err error) bool {
	return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err) || apihttpstream.IsUpgradeFailure(err)
}

func exitCode(ctx context.Context, err error, what string) (int, error) {
	if err == nil {
		return 0, nil
	}
	var ee utilexec.ExitError
	if errors.As(err, &ee) && ee.Exited() {
		return ee.ExitStatus(), nil
	}
	if ctx.Err() != nil {
		return -1, ErrInterrupted
	}
	return -1, fmt.Errorf("%s: %w", what, err)
}
