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
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	gwebsocket "github.com/gorilla/websocket"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/remotecommand"
	clocktesting "k8s.io/utils/clock/testing"
)

// v5Server is a stand-in for the API server's pods/exec over WebSocket v5 (what it does after
// translating to the kubelet). Commands: "cat" copies stdin to stdout until stdin is closed;
// "exit N" writes "out" and "err" and exits N; "size" reports the first terminal size.
type v5Server struct {
	srv    *httptest.Server
	conns  atomic.Int32 // TCP connections accepted
	execs  atomic.Int32 // exec requests served
	auth   atomic.Value // last Authorization header
	agents atomic.Value // last User-Agent
}

func newV5Server(t *testing.T) (*v5Server, *rest.Config) {
	t.Helper()
	s := &v5Server{}
	up := gwebsocket.Upgrader{Subprotocols: []string{protocolV5}}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.execs.Add(1)
		s.auth.Store(r.Header.Get("Authorization"))
		s.agents.Store(r.Header.Get("User-Agent"))
		if !strings.HasSuffix(r.URL.Path, "/exec") {
			http.NotFound(w, r)
			return
		}
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		serveV5(c, r.URL.Query()["command"])
	}))
	s.srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.srv.StartTLS()
	t.Cleanup(s.srv.Close)
	cfg := &rest.Config{Host: s.srv.URL, BearerToken: "t0ken", UserAgent: "sparkmr3-test",
		TLSClientConfig: rest.TLSClientConfig{Insecure: true}}
	return s, cfg
}

func serveV5(c *gwebsocket.Conn, cmd []string) {
	send := func(ch byte, b []byte) { _ = c.WriteMessage(gwebsocket.BinaryMessage, append([]byte{ch}, b...)) }
	status := func(code int) {
		st := metav1.Status{Status: metav1.StatusSuccess}
		if code != 0 {
			st = metav1.Status{Status: metav1.StatusFailure, Reason: "NonZeroExitCode",
				Details: &metav1.StatusDetails{Causes: []metav1.StatusCause{{Type: "ExitCode", Message: strconv.Itoa(code)}}}}
		}
		b, _ := json.Marshal(st)
		send(channelError, b)
		_ = c.WriteMessage(gwebsocket.CloseMessage, gwebsocket.FormatCloseMessage(gwebsocket.CloseNormalClosure, ""))
	}
	switch {
	case len(cmd) == 1 && cmd[0] == "cat":
		for {
			_, m, err := c.ReadMessage()
			if err != nil || len(m) == 0 {
				return
			}
			if m[0] == channelClose && len(m) == 2 && m[1] == channelStdin {
				status(0)
				return
			}
			if m[0] == channelStdin {
				send(channelStdout, m[1:])
			}
		}
	case len(cmd) == 2 && cmd[0] == "exit":
		code, _ := strconv.Atoi(cmd[1])
		send(channelStdout, []byte("out\n"))
		send(channelStderr, []byte("err\n"))
		status(code)
	case len(cmd) == 2 && (cmd[0] == "silent" || cmd[0] == "deaf"):
		// Prints nothing for N ms. "silent" keeps reading meanwhile, so pings get their pongs
		// (as the API server answers them); "deaf" does not.
		ms, _ := strconv.Atoi(cmd[1])
		if cmd[0] == "silent" {
			go func() {
				for {
					if _, _, err := c.ReadMessage(); err != nil {
						return
					}
				}
			}()
		}
		time.Sleep(time.Duration(ms) * time.Millisecond)
		status(0)
	case len(cmd) == 1 && cmd[0] == "size":
		for { // stdin's close may come first
			_, m, err := c.ReadMessage()
			if err != nil || len(m) == 0 {
				return
			}
			if m[0] == channelResize {
				var sz remotecommand.TerminalSize
				_ = json.Unmarshal(m[1:], &sz)
				send(channelStdout, fmt.Appendf(nil, "%dx%d\n", sz.Width, sz.Height))
				status(0)
				return
			}
		}
	default:
		send(channelStderr, []byte("unknown command\n"))
		status(127)
	}
}

// ready starts a Preconnect and waits until its connection is open.
func ready(t *testing.T, s *v5Server, cfg *rest.Config) *Preconnect {
	t.Helper()
	p, err := NewPreconnect(cfg, nil, time.Hour)
	if err != nil || p == nil {
		t.Fatalf("NewPreconnect: %v, %v", p, err)
	}
	p.Start(context.Background())
	t.Cleanup(p.Close)
	for deadline := time.Now().Add(5 * time.Second); s.conns.Load() == 0 || !p.holding(); {
		if time.Now().After(deadline) {
			t.Fatal("no connection opened while waiting")
		}
		time.Sleep(time.Millisecond)
	}
	return p
}

func (p *Preconnect) holding() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.conn != nil
}

func TestPreconnectedExecUsesTheWaitingConnection(t *testing.T) {
	s, cfg := newV5Server(t)
	p := ready(t, s, cfg)
	in := bytes.Repeat([]byte("input\x00\xff\n"), 16*1024)
	var out bytes.Buffer
	code, err := Exec(context.Background(), cfg, ExecOptions{Namespace: "ns", Pod: "p", Container: "driver",
		Command: []string{"cat"}, Stdin: bytes.NewReader(in), Stdout: &out, Preconnect: p})
	if err != nil || code != 0 {
		t.Fatalf("got %d, %v", code, err)
	}
	if !bytes.Equal(out.Bytes(), in) {
		t.Fatalf("stdin round trip: sent %d bytes, got %d", len(in), out.Len())
	}
	if n := s.conns.Load(); n != 1 {
		t.Fatalf("the exec opened a connection of its own: %d connections", n)
	}
	if a := s.auth.Load(); a != "Bearer t0ken" {
		t.Fatalf("credentials not sent: Authorization %q", a)
	}
	if ua := s.agents.Load(); ua != "sparkmr3-test" {
		t.Fatalf("user agent %q", ua)
	}
}

func TestPreconnectedExecPassesExitCodeAndStreams(t *testing.T) {
	for _, code := range []int{0, 3, 255} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			s, cfg := newV5Server(t)
			p := ready(t, s, cfg)
			var out, errOut bytes.Buffer
			got, err := Exec(context.Background(), cfg, ExecOptions{Namespace: "ns", Pod: "p", Container: "driver",
				Command: []string{"exit", strconv.Itoa(code)}, Stdout: &out, Stderr: &errOut, Preconnect: p})
			if err != nil || got != code {
				t.Fatalf("got %d, %v; want %d", got, err, code)
			}
			if out.String() != "out\n" || errOut.String() != "err\n" {
				t.Fatalf("stdout %q stderr %q", out.String(), errOut.String())
			}
		})
	}
}

func TestPreconnectedExecSendsTerminalSize(t *testing.T) {
	s, cfg := newV5Server(t)
	p := ready(t, s, cfg)
	var out bytes.Buffer
	code, err := Exec(context.Background(), cfg, ExecOptions{Namespace: "ns", Pod: "p", Container: "driver",
		Command: []string{"size"}, Stdin: strings.NewReader(""), Stdout: &out, TTY: true, TerminalSizeQueue: &oneSize{}, Preconnect: p})
	if err != nil || code != 0 || out.String() != "132x43\n" {
		t.Fatalf("got %d, %v, output %q", code, err, out.String())
	}
}

func TestPreconnectedExecRetriesWhenTheServerClosedTheWaitingConnection(t *testing.T) {
	s, cfg := newV5Server(t)
	p := ready(t, s, cfg)
	s.srv.CloseClientConnections() // as the API server does after 32 s without a request
	time.Sleep(20 * time.Millisecond)
	var out bytes.Buffer
	code, err := Exec(context.Background(), cfg, ExecOptions{Namespace: "ns", Pod: "p", Container: "driver",
		Command: []string{"exit", "0"}, Stdout: &out, Stderr: io.Discard, Preconnect: p})
	if err != nil || code != 0 || out.String() != "out\n" {
		t.Fatalf("got %d, %v, %q", code, err, out.String())
	}
	if n := s.execs.Load(); n != 1 {
		t.Fatalf("the server saw %d exec requests, want 1", n)
	}
}

func TestPreconnectedExecFallsBackToSPDYWhenWebSocketIsRefused(t *testing.T) {
	// The kubelet's own streaming server speaks SPDY and older WebSocket protocols, not v5.
	cfg, ex := kubeletServer(t)
	p, err := NewPreconnect(cfg, nil, time.Hour)
	if err != nil || p == nil {
		t.Fatalf("NewPreconnect: %v, %v", p, err)
	}
	p.Start(context.Background())
	defer p.Close()
	var out bytes.Buffer
	code, err := Exec(context.Background(), cfg, ExecOptions{Namespace: "ns", Pod: "driver-0", Container: "driver",
		Command: []string{"sh", "-c", "echo fine; exit 4"}, Stdout: &out, Stderr: io.Discard, Preconnect: p})
	if err != nil || code != 4 || out.String() != "fine\n" || len(ex.cmds) != 1 {
		t.Fatalf("got %d, %v, %q, ran %d times", code, err, out.String(), len(ex.cmds))
	}
}

func TestPreconnectedExecRefusalNamesTheServerReason(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"pods \"p\" is forbidden: User \"u\" cannot create resource \"pods/exec\"","reason":"Forbidden","code":403}`)
	}))
	defer srv.Close()
	cfg := &rest.Config{Host: srv.URL}
	p, _ := NewPreconnect(cfg, nil, time.Hour)
	p.Start(context.Background())
	defer p.Close()
	code, err := Exec(context.Background(), cfg, ExecOptions{Namespace: "ns", Pod: "p", Container: "driver",
		Command: []string{"true"}, Stdout: io.Discard, Preconnect: p})
	if err == nil || code != -1 || !strings.Contains(err.Error(), `cannot create resource "pods/exec"`) {
		t.Fatalf("got %d, %v", code, err)
	}
}

func TestPreconnectRefreshesTheWaitingConnection(t *testing.T) {
	s, cfg := newV5Server(t)
	clk := clocktesting.NewFakeClock(time.Now())
	p, err := NewPreconnect(cfg, clk, 20*time.Second)
	if err != nil || p == nil {
		t.Fatal(p, err)
	}
	p.Start(context.Background())
	defer p.Close()
	waitFor := func(n int32) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); s.conns.Load() < n || !p.holding(); {
			if time.Now().After(deadline) {
				t.Fatalf("%d connections, want %d", s.conns.Load(), n)
			}
			time.Sleep(time.Millisecond)
		}
	}
	waitFor(1)
	for !clk.HasWaiters() {
		time.Sleep(time.Millisecond)
	}
	clk.Step(20 * time.Second)
	waitFor(2)
	code, err := Exec(context.Background(), cfg, ExecOptions{Namespace: "ns", Pod: "p", Container: "driver",
		Command: []string{"exit", "0"}, Stdout: io.Discard, Stderr: io.Discard, Preconnect: p})
	if err != nil || code != 0 || s.conns.Load() != 2 {
		t.Fatalf("got %d, %v, %d connections", code, err, s.conns.Load())
	}
}

func TestNoPreconnectThroughAProxyOrACustomTransport(t *testing.T) {
	proxied := &rest.Config{Host: "https://10.0.0.1:6443", Proxy: func(*http.Request) (*url.URL, error) {
		return url.Parse("http://proxy:3128")
	}}
	custom := &rest.Config{Host: "https://10.0.0.1:6443", Transport: http.DefaultTransport}
	for name, cfg := range map[string]*rest.Config{"proxy": proxied, "transport": custom} {
		if p, err := NewPreconnect(cfg, nil, 0); p != nil || err != nil {
			t.Errorf("%s: got %v, %v; want no Preconnect", name, p, err)
		}
	}
}

func TestPreconnectCloseDoesNotWaitForAHangingHandshake(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() { // accepts, then never answers the TLS handshake
		if c, err := l.Accept(); err == nil {
			accepted <- c
		}
	}()
	p, err := NewPreconnect(&rest.Config{Host: "https://" + l.Addr().String(), TLSClientConfig: rest.TLSClientConfig{Insecure: true}}, nil, time.Hour)
	if err != nil || p == nil {
		t.Fatal(p, err)
	}
	p.Start(context.Background())
	c := <-accepted
	defer c.Close()
	closed := make(chan struct{})
	go func() { p.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close waited for a handshake that never ends")
	}
}

func TestHeartbeatKeepsASilentCommandAndDropsADeadPeer(t *testing.T) {
	hb := heartbeat{period: 20 * time.Millisecond, deadline: 150 * time.Millisecond}
	for _, tt := range []struct {
		cmd     string
		wantErr bool
	}{
		{"silent", false}, // 600 ms without output, pongs all along
		{"deaf", true},    // no pong for longer than the deadline
	} {
		t.Run(tt.cmd, func(t *testing.T) {
			s, cfg := newV5Server(t)
			p := ready(t, s, cfg)
			e := &wsExecutor{cfg: cfg, p: p, url: s.srv.URL + "/api/v1/namespaces/ns/pods/p/exec?command=" + tt.cmd + "&command=600&stdout=true", hb: hb}
			err := e.StreamWithContext(context.Background(), remotecommand.StreamOptions{Stdout: io.Discard})
			if (err != nil) != tt.wantErr {
				t.Fatalf("got %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

func TestPreconnectedExecInterruptedByContext(t *testing.T) {
	s, cfg := newV5Server(t)
	p := ready(t, s, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	code, err := Exec(ctx, cfg, ExecOptions{Namespace: "ns", Pod: "p", Container: "driver",
		Command: []string{"silent", "3000"}, Stdout: io.Discard, Preconnect: p})
	if !errors.Is(err, ErrInterrupted) || code != -1 {
		t.Fatalf("want ErrInterrupted, got %d, %v", code, err)
	}
}
