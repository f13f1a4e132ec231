package ui

import (
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
)

// Proxy serves the Spark UI at target under prefix, the path of spark.ui.proxyBase. Spark
// serves its pages at the root (/jobs/, /stages/, …) but writes every link and redirect as
// proxyBase + path, as if a reverse proxy served it there. Proxy is that reverse proxy: a
// request for prefix/jobs/ goes to target as /jobs/, with X-Forwarded-Context: prefix (the
// header Spark reads when proxyBase is unset). Paths outside prefix go to target unchanged, so
// a job run with --conf spark.ui.proxyBase= (links at the root) works through it too. "/"
// redirects to prefix/.
//
// transport reaches target (nil: http.DefaultTransport); unreachable explains a failed
// connection to it (no job running, so no UI).
func Proxy(prefix string, target *url.URL, transport http.RoundTripper, unreachable string) http.Handler {
	p := &proxy{prefix: strings.TrimRight(prefix, "/")}
	prefix = p.prefix
	p.rp = &httputil.ReverseProxy{
		Transport: transport,
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			p := r.In.URL.Path
			if prefix != "" && strings.HasPrefix(p, prefix+"/") {
				p = strings.TrimPrefix(p, prefix)
				r.Out.Header.Set("X-Forwarded-Context", prefix)
			}
			r.Out.URL.Path, r.Out.URL.RawPath = p, ""
			r.SetXForwarded()
		},
		ModifyResponse: func(resp *http.Response) error {
			// Jetty may make a redirect absolute with the host it was asked for (the tunnel's):
			// keep the browser on this proxy.
			if loc, err := url.Parse(resp.Header.Get("Location")); err == nil && loc.Host == target.Host {
				loc.Scheme, loc.Host = "", ""
				resp.Header.Set("Location", loc.String())
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprintf(w, "%s\n(%v)\n", unreachable, err)
		},
	}
	return p
}

type proxy struct {
	prefix string
	rp     *httputil.ReverseProxy
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p.prefix != "" && (r.URL.Path == "/" || r.URL.Path == p.prefix) {
		http.Redirect(w, r, p.prefix+"/", http.StatusFound)
		return
	}
	p.rp.ServeHTTP(w, r)
}
