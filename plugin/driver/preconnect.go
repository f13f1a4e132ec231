package driver

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
)

// Preconnect keeps one connection to the API server open and ready (TCP and TLS handshakes
// done) while submit and shell wait for the release, so the exec that follows "Ready" sends its
// upgrade request at once instead of paying the handshakes then, when the cluster is busiest
// (the Pod has just changed; controllers react). On a remote cluster that is two network round
// trips saved as well.
//
// The connection carries no request until the exec, so the API server sees nothing of it in its
// metrics or audit log. It is replaced every Refresh (the API server closes a connection that
// sends no request header within 32 s); an upgrade that fails on it before any response (closed
// by the server or a middlebox meanwhile) is retried once on a fresh connection: a server that
// closed the connection has not read the request on it.
//
// It is used only where it reaches the API server directly: no proxy for its address, no custom
// transport in the client config. NewPreconnect returns nil otherwise, and Exec then dials as
// kubectl does.
type Preconnect struct {
	addr    string // host:port
	scheme  string // http or https
	tls     *tls.Config
	dial    func(ctx context.Context, network, addr string) (net.Conn, error)
	clock   clock.Clock
	refresh time.Duration

	mu     sync.Mutex
	conn   net.Conn
	closed bool
	cancel context.CancelFunc // ends the keeping goroutine
	done   chan struct{}      // closed when it has ended
}

// DefaultRefresh replaces the waiting connection well within the API server's 32 s
// ReadHeaderTimeout.
const DefaultRefresh = 20 * time.Second

// NewPreconnect prepares a Preconnect for cfg's API server, or returns nil when exec must go
// the usual way (proxy, custom transport). Start begins connecting.
func NewPreconnect(cfg *rest.Config, clk clock.Clock, refresh time.Duration) (*Preconnect, error) {
	if cfg.Transport != nil {
		return nil, nil
	}
	u, _, err := rest.DefaultServerUrlFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("API server address %q: %w", cfg.Host, err)
	}
	proxy := http.ProxyFromEnvironment
	if cfg.Proxy != nil {
		proxy = cfg.Proxy
	}
	if p, err := proxy(&http.Request{URL: u}); err != nil || p != nil {
		return nil, nil
	}
	p := &Preconnect{addr: canonicalAddr(u), scheme: u.Scheme, clock: clk, refresh: refresh}
	if p.clock == nil {
		p.clock = clock.RealClock{}
	}
	if p.refresh <= 0 {
		p.refresh = DefaultRefresh
	}
	p.dial = (&net.Dialer{}).DialContext
	if cfg.Dial != nil {
		p.dial = cfg.Dial
	}
	if u.Scheme == "https" {
		tc, err := rest.TLSConfigFor(cfg)
		if err != nil {
			return nil, fmt.Errorf("TLS settings for %s: %w", cfg.Host, err)
		}
		if tc == nil {
			tc = &tls.Config{}
		}
		tc = tc.Clone()
		tc.NextProtos = []string{"http/1.1"} // an upgrade needs HTTP/1.1
		if tc.ServerName == "" && !tc.InsecureSkipVerify {
			tc.ServerName = u.Hostname()
		}
		// Refreshes and a fresh dial after a stale connection resume the TLS session.
		tc.ClientSessionCache = tls.NewLRUClientSessionCache(4)
		p.tls = tc
	}
	return p, nil
}

// canonicalAddr is u's host:port, with the scheme's default port when u has none.
func canonicalAddr(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	port := "443"
	if u.Scheme == "http" {
		port = "80"
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// Start connects in the background and keeps a fresh connection until Close or until the exec
// takes it. A failure to connect is not reported here: the exec dials again and reports it.
func (p *Preconnect) Start(ctx context.Context) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cancel != nil || p.closed {
		return
	}
	ctx, p.cancel = context.WithCancel(ctx)
	p.done = make(chan struct{})
	go p.keep(ctx)
}

func (p *Preconnect) keep(ctx context.Context) {
	defer close(p.done)
	for {
		c, err := p.connect(ctx)
		if err == nil && !p.put(c) {
			return
		}
		t := p.clock.NewTimer(p.refresh)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
	}
}

// put stores a new connection in place of the old one; false when the Preconnect is done.
func (p *Preconnect) put(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		return false
	}
	if p.conn != nil {
		p.conn.Close()
	}
	p.conn = c
	return true
}

// connect opens a connection, with the TLS handshake done for https.
func (p *Preconnect) connect(ctx context.Context) (net.Conn, error) {
	c, err := p.dial(ctx, "tcp", p.addr)
	if err != nil {
		return nil, err
	}
	if p.tls == nil {
		return c, nil
	}
	tc := tls.Client(c, p.tls)
	if err := tc.HandshakeContext(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return tc, nil
}

// take hands over the waiting connection (nil when there is none) and stops the refreshing: a
// Preconnect serves one exec.
func (p *Preconnect) take() net.Conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.conn
	p.conn = nil
	p.closed = true
	if p.cancel != nil {
		p.cancel() // also ends a dial or handshake in progress: its result would be dropped
	}
	return c
}

// Close drops the waiting connection and stops the refreshing; Close after take is a no-op.
func (p *Preconnect) Close() {
	if c := p.take(); c != nil {
		c.Close()
	}
	p.mu.Lock()
	done := p.done
	p.mu.Unlock()
	if done != nil {
		<-done
	}
}
