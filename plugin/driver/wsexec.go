package driver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	gwebsocket "github.com/gorilla/websocket"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/httpstream"
	apiremote "k8s.io/apimachinery/pkg/util/remotecommand"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/remotecommand"
	utilexec "k8s.io/client-go/util/exec"
)

// The WebSocket channel protocol v5 (KEP-4006), the one kubectl speaks to the API server: every
// binary message starts with its channel; channel 255 carries "close this channel" (stdin EOF).
const (
	protocolV5    = "v5.channel.k8s.io"
	channelStdin  = 0
	channelStdout = 1
	channelStderr = 2
	channelError  = 3
	channelResize = 4
	channelClose  = 255

	wsBufferSize = 32 * 1024
)

// heartbeat is how the stream finds a dead peer: a ping every period; the read deadline moves
// with every pong; nothing for deadline ends the stream. A silent command (a Spark job that
// prints nothing for minutes) is fine: the peer's pongs keep it open.
type heartbeat struct {
	period, deadline time.Duration
}

// defaultHeartbeat is client-go's: a dozen pings may go unanswered.
var defaultHeartbeat = heartbeat{period: 5 * time.Second, deadline: 61 * time.Second}

// wsExecutor is a remotecommand.Executor for one exec over WebSocket v5 on the Preconnect's
// waiting connection. client-go's WebSocket executor does the same protocol but always dials its
// own connection; this one differs only in where the connection comes from.
type wsExecutor struct {
	cfg *rest.Config
	p   *Preconnect
	url string
	hb  heartbeat
}

func newWSExecutor(cfg *rest.Config, p *Preconnect, url string) *wsExecutor {
	return &wsExecutor{cfg: cfg, p: p, url: url, hb: defaultHeartbeat}
}

// Stream is StreamWithContext without a context.
func (e *wsExecutor) Stream(o remotecommand.StreamOptions) error {
	return e.StreamWithContext(context.Background(), o)
}

// StreamWithContext upgrades, then copies the streams until the server closes the connection,
// and returns the command's outcome as client-go does: nil, a utilexec.CodeExitError for a
// non-zero exit, or the server's message.
func (e *wsExecutor) StreamWithContext(ctx context.Context, o remotecommand.StreamOptions) error {
	d := &wsDialer{p: e.p}
	rt, err := rest.HTTPWrappersForConfig(e.cfg, d) // credentials and user agent, as for any request
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.url, nil)
	if err != nil {
		return err
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	conn := d.conn
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	err = streamV5(conn, o, e.hb)
	if ctx.Err() != nil {
		// Interrupted, whatever the stream said last: closing the connection can make the
		// server answer with a normal close before the read sees its own close (as client-go,
		// the context wins).
		return ctx.Err()
	}
	return err
}

// wsDialer is the http.RoundTripper at the end of the credential wrappers: it performs the
// WebSocket handshake with the request's headers, on the waiting connection when there is one.
type wsDialer struct {
	p    *Preconnect
	conn *gwebsocket.Conn
}

func (d *wsDialer) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != d.p.scheme || canonicalAddr(req.URL) != d.p.addr {
		return nil, fmt.Errorf("exec URL %s is not on the API server %s://%s", req.URL.Redacted(), d.p.scheme, d.p.addr)
	}
	u := *req.URL
	u.Scheme = map[string]string{"https": "wss", "http": "ws"}[u.Scheme]
	header := req.Header.Clone()
	dial := func(waiting net.Conn) (*gwebsocket.Conn, *http.Response, error) {
		get := func(ctx context.Context, _, _ string) (net.Conn, error) {
			if waiting != nil {
				return waiting, nil
			}
			return d.p.connect(ctx)
		}
		dialer := gwebsocket.Dialer{
			NetDialContext: get, NetDialTLSContext: get,
			Subprotocols:   []string{protocolV5},
			ReadBufferSize: wsBufferSize + 1024, WriteBufferSize: wsBufferSize + 1024,
		}
		return dialer.DialContext(req.Context(), u.String(), header)
	}
	conn, resp, err := dial(d.p.take())
	if err != nil && !errors.Is(err, gwebsocket.ErrBadHandshake) && req.Context().Err() == nil {
		// The waiting connection was closed under us before any answer: the server never read
		// the request on it. Once more on a new connection.
		conn, resp, err = dial(nil)
	}
	if err != nil {
		if errors.Is(err, gwebsocket.ErrBadHandshake) {
			return nil, &httpstream.UpgradeFailureError{Cause: refusal(err, resp)}
		}
		return nil, err
	}
	if conn.Subprotocol() != protocolV5 {
		conn.Close()
		return nil, &httpstream.UpgradeFailureError{Cause: fmt.Errorf("the server does not speak %s (got %q)", protocolV5, conn.Subprotocol())}
	}
	d.conn = conn
	return resp, nil
}

// refusal is the server's reason for not switching protocols: its Status when it sent one.
func refusal(err error, resp *http.Response) error {
	if resp == nil {
		return err
	}
	defer resp.Body.Close()
	cause := fmt.Errorf("%w (%s)", err, resp.Status)
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64*1024))
	if obj, _, derr := scheme.Codecs.UniversalDecoder().Decode(body, nil, &metav1.Status{}); derr == nil {
		if st, ok := obj.(*metav1.Status); ok {
			return &apierrors.StatusError{ErrStatus: *st}
		}
	}
	if msg := strings.TrimSpace(string(body)); msg != "" {
		cause = fmt.Errorf("%w: %s", cause, msg)
	}
	return cause
}

// streamV5 runs the channels of one exec on an upgraded connection until the server closes it.
func streamV5(conn *gwebsocket.Conn, o remotecommand.StreamOptions, hb heartbeat) error {
	var wmu sync.Mutex
	send := func(channel byte, p []byte) error {
		wmu.Lock()
		defer wmu.Unlock()
		if err := conn.SetWriteDeadline(time.Now().Add(hb.deadline)); err != nil {
			return err
		}
		w, err := conn.NextWriter(gwebsocket.BinaryMessage)
		if err != nil {
			return err
		}
		if _, err := w.Write([]byte{channel}); err != nil {
			w.Close()
			return err
		}
		if _, err := w.Write(p); err != nil {
			w.Close()
			return err
		}
		return w.Close()
	}
	done := make(chan struct{})
	defer close(done)

	if err := conn.SetReadDeadline(time.Now().Add(hb.deadline)); err != nil {
		return err
	}
	conn.SetPongHandler(func(string) error { return conn.SetReadDeadline(time.Now().Add(hb.deadline)) })
	go func() {
		t := time.NewTicker(hb.period)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if conn.WriteControl(gwebsocket.PingMessage, nil, time.Now().Add(hb.deadline)) != nil {
					return
				}
			}
		}
	}()

	if o.Stdin != nil {
		go func() {
			buf := make([]byte, wsBufferSize)
			for {
				n, err := o.Stdin.Read(buf)
				if n > 0 && send(channelStdin, buf[:n]) != nil {
					return
				}
				if err != nil { // EOF (or a broken input): close the command's stdin
					_ = send(channelClose, []byte{channelStdin})
					return
				}
			}
		}()
	}
	if o.Tty && o.TerminalSizeQueue != nil {
		go func() {
			for {
				size := o.TerminalSizeQueue.Next()
				if size == nil {
					return
				}
				b, err := json.Marshal(size)
				if err != nil || send(channelResize, b) != nil {
					return
				}
			}
		}()
	}

	var status bytes.Buffer
	for {
		typ, r, err := conn.NextReader()
		if err != nil {
			var ce *gwebsocket.CloseError
			if errors.As(err, &ce) && ce.Code == gwebsocket.CloseNormalClosure || status.Len() > 0 {
				break
			}
			return fmt.Errorf("exec stream: %w", err)
		}
		if typ != gwebsocket.BinaryMessage {
			return fmt.Errorf("exec stream: unexpected message type %d", typ)
		}
		var ch [1]byte
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			return fmt.Errorf("exec stream: %w", err)
		}
		var w io.Writer = io.Discard
		switch ch[0] {
		case channelStdout:
			if o.Stdout != nil {
				w = o.Stdout
			}
		case channelStderr:
			if o.Stderr != nil {
				w = o.Stderr
			}
		case channelError:
			w = &status
		}
		if _, err := io.Copy(w, r); err != nil {
			return fmt.Errorf("exec stream: %w", err)
		}
	}
	return decodeStatus(status.Bytes())
}

// decodeStatus reads the error channel's Status as client-go's protocol v4/v5 does.
func decodeStatus(b []byte) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	var st metav1.Status
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("error stream protocol error: %v in %q", err, string(b))
	}
	switch st.Status {
	case metav1.StatusSuccess:
		return nil
	case metav1.StatusFailure:
		if st.Reason == apiremote.NonZeroExitCodeReason && st.Details != nil {
			for _, c := range st.Details.Causes {
				if c.Type != apiremote.ExitCodeCauseType {
					continue
				}
				rc, err := strconv.ParseUint(c.Message, 10, 8)
				if err != nil {
					return fmt.Errorf("error stream protocol error: invalid exit code value %q", c.Message)
				}
				return utilexec.CodeExitError{Err: fmt.Errorf("command terminated with exit code %d", rc), Code: int(rc)}
			}
		}
		return errors.New(st.Message)
	default:
		return fmt.Errorf("error stream protocol error: unknown status %q", st.Status)
	}
}
