package ui

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/spark-mr3/spark-mr3/plugin/logs"
)

// sparkUI answers as Spark's UI does with spark.ui.proxyBase=base: pages at the root, every
// link and redirect under base.
func sparkUI(t *testing.T, base string) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, base+"/jobs/", http.StatusFound)
	})
	mux.HandleFunc("/jobs/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<a href="%s/stages/">Stages</a> ctx=%s`, base, r.Header.Get("X-Forwarded-Context"))
	})
	mux.HandleFunc("/stages/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "stages page") })
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func get(t *testing.T, u string) (int, string, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Request.URL.Path, string(b)
}

func TestProxyServesTheUIWhereItsLinksPoint(t *testing.T) {
	upstream := sparkUI(t, "/spark1")
	target, _ := url.Parse(upstream.URL)
	front := httptest.NewServer(Proxy("/spark1", target, nil, "no UI"))
	defer front.Close()

	// The first page: "/" and the bare prefix lead to Spark's redirect, kept on the proxy.
	for _, start := range []string{"/", "/spark1", "/spark1/"} {
		code, at, body := get(t, front.URL+start)
		if code != 200 || at != "/spark1/jobs/" || !strings.Contains(body, `href="/spark1/stages/"`) {
			t.Fatalf("%s: %d at %s: %s", start, code, at, body)
		}
		if !strings.Contains(body, "ctx=/spark1") {
			t.Errorf("X-Forwarded-Context not set: %s", body)
		}
	}
	// A link of the page.
	if code, _, body := get(t, front.URL+"/spark1/stages/"); code != 200 || body != "stages page" {
		t.Fatalf("link: %d %s", code, body)
	}
	// A job run with spark.ui.proxyBase= links at the root: still served.
	if code, _, body := get(t, front.URL+"/stages/"); code != 200 || body != "stages page" {
		t.Fatalf("root link: %d %s", code, body)
	}
	// No UI (no job running): a page that says why.
	upstream.Close()
	if code, _, body := get(t, front.URL+"/spark1/jobs/"); code != http.StatusBadGateway || !strings.Contains(body, "no UI") {
		t.Fatalf("no upstream: %d %s", code, body)
	}
}

func TestProxyKeepsAbsoluteRedirectsOnTheProxy(t *testing.T) {
	var upstream *httptest.Server
	upstream = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/x" {
			w.Header().Set("Location", upstream.URL+"/p/y")
			w.WriteHeader(http.StatusFound)
			return
		}
		fmt.Fprint(w, r.URL.Path)
	}))
	defer upstream.Close()
	target, _ := url.Parse(upstream.URL)
	front := httptest.NewServer(Proxy("/p", target, nil, "no UI"))
	defer front.Close()
	code, at, body := get(t, front.URL+"/p/x")
	if code != 200 || at != "/p/y" || body != "/y" {
		t.Fatalf("%d at %s: %s", code, at, body)
	}
}

func uiPod(env []corev1.EnvVar) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "rel-spark1-0", Namespace: "ns", Labels: map[string]string{
			"app.kubernetes.io/instance": "rel", "app.kubernetes.io/component": "driver", "sparkmr3.io/driver": "spark1"}},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "driver", Env: env,
				Ports:        []corev1.ContainerPort{{Name: "driver", ContainerPort: 9850}, {Name: "webui", ContainerPort: 4041}},
				VolumeMounts: []corev1.VolumeMount{{Name: "env", MountPath: "/opt/mr3-run/env.sh", SubPath: "env.sh"}}}},
			Volumes: []corev1.Volume{{Name: "env", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
				SecretName: "rel-env", Items: []corev1.KeyToPath{{Key: "env.sh", Path: "env.sh"}}}}}},
		},
		Status: corev1.PodStatus{Phase: corev1.PodRunning},
	}
}

func envSecret(text string) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "rel-env", Namespace: "ns"}, Data: map[string][]byte{"env.sh": []byte(text)}}
}

func TestUIBase(t *testing.T) {
	driverName := []corev1.EnvVar{{Name: "DRIVER_NAME", Value: "rel-spark1"}}
	for _, tc := range []struct {
		name, envSh string
		env         []corev1.EnvVar
		noSecret    bool
		proxyBase   string
		prefix      string
		note        string
	}{
		{"chart default", "PROXY_BASE=''\n", driverName, false, "/rel-spark1", "/rel-spark1", ""},
		{"no DRIVER_NAME in the Pod: the entry name", "PROXY_BASE=''\n", nil, false, "/spark1", "/spark1", ""},
		{"a path", "PROXY_BASE='/gw'\n", driverName, false, "/gw/rel-spark1", "/gw/rel-spark1", ""},
		{"a gateway", "PROXY_BASE='http://red0:8080/spark'\n", driverName, false, "http://red0:8080/spark/rel-spark1", "/spark/rel-spark1", "links lead to that gateway"},
		{"unknowable", "PROXY_BASE=$(hostname)\n", driverName, false, "/rel-spark1", "/rel-spark1", "cannot be told"},
		{"secret missing", "", driverName, true, "/rel-spark1", "/rel-spark1", "could not read env.sh"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client := fake.NewClientset()
			if !tc.noSecret {
				client = fake.NewClientset(envSecret(tc.envSh))
			}
			b := UIBase(context.Background(), client, logs.Driver{Name: "spark1", Pod: uiPod(tc.env)})
			if b.ProxyBase != tc.proxyBase || b.Prefix != tc.prefix || (tc.note == "") != (b.Note == "") || !strings.Contains(b.Note, tc.note) {
				t.Fatalf("got %+v", b)
			}
		})
	}
}

func TestRunForwardsAndServesUntilInterrupted(t *testing.T) {
	upstream := sparkUI(t, "/gw/rel-spark1")
	client := fake.NewClientset(uiPod([]corev1.EnvVar{{Name: "DRIVER_NAME", Value: "rel-spark1"}}), envSecret("PROXY_BASE='/gw'\n"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut bytes.Buffer
	var forwardedPort int
	got := make(chan string, 1)
	o := &Options{Namespace: "ns", Release: "rel", Address: "127.0.0.1", Port: 0, Client: client,
		IO: genericiooptions.IOStreams{Out: &out, ErrOut: &errOut},
		Forward: func(ctx context.Context, pod *corev1.Pod, port int) (string, <-chan error, error) {
			forwardedPort = port
			return strings.TrimPrefix(upstream.URL, "http://"), make(chan error), nil
		},
		Ready: func(u string) {
			code, at, body := get(t, u)
			if code == 200 && strings.Contains(body, `href="/gw/rel-spark1/stages/"`) {
				code, _, body = get(t, strings.TrimSuffix(u, "/gw/rel-spark1/")+"/gw/rel-spark1/stages/")
			}
			got <- fmt.Sprintf("%d %s %s", code, at, body)
			cancel()
		}}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- o.Run(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v\n%s", err, errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ui did not stop when interrupted")
	}
	if g := <-got; g != "200 /gw/rel-spark1/jobs/ stages page" {
		t.Fatalf("through the printed URL: %s", g)
	}
	if forwardedPort != 4041 {
		t.Errorf("forwarded port %d, want the webui containerPort 4041", forwardedPort)
	}
	if !strings.HasPrefix(out.String(), "http://127.0.0.1:") || !strings.HasSuffix(out.String(), "/gw/rel-spark1/\n") {
		t.Errorf("stdout: %q", out.String())
	}
}

// client-go ends a port-forward when one connection through it fails (nothing listens while no
// job runs): the next request opens a new one, and ui keeps running.
func TestRunReopensTheTunnel(t *testing.T) {
	upstream := sparkUI(t, "/spark1")
	client := fake.NewClientset(uiPod(nil), envSecret(""))
	var opened int
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan string, 1)
	o := &Options{Namespace: "ns", Release: "rel", Address: "127.0.0.1", Client: client,
		IO: genericiooptions.IOStreams{Out: io.Discard, ErrOut: io.Discard},
		Forward: func(context.Context, *corev1.Pod, int) (string, <-chan error, error) {
			opened++
			if opened == 1 {
				// A tunnel that ended at once, its listener gone.
				ended := make(chan error, 1)
				ended <- fmt.Errorf("lost connection to pod")
				return "127.0.0.1:1", ended, nil
			}
			return strings.TrimPrefix(upstream.URL, "http://"), make(chan error), nil
		},
		Ready: func(u string) {
			code, at, _ := get(t, u)
			got <- fmt.Sprintf("%d %s", code, at)
			cancel()
		}}
	if err := o.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if g := <-got; g != "200 /spark1/jobs/" || opened != 2 {
		t.Fatalf("after the first tunnel ended: %s, %d tunnels opened", g, opened)
	}

	// A port-forward that cannot be opened at all (no permission, Pod gone) ends ui at once.
	o.Forward = func(context.Context, *corev1.Pod, int) (string, <-chan error, error) {
		return "", nil, fmt.Errorf(`pods "rel-spark1-0" is forbidden`)
	}
	o.Ready = func(string) { t.Error("URL printed without a tunnel") }
	if err := o.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "port-forward to Pod ns/rel-spark1-0 port 4041: pods \"rel-spark1-0\" is forbidden") {
		t.Fatalf("got %v", err)
	}
}

func TestTunnelRedialsOnceWhenTheListenerIsGone(t *testing.T) {
	upstream := sparkUI(t, "/x")
	addrs := []string{"127.0.0.1:1", strings.TrimPrefix(upstream.URL, "http://")}
	tun := &tunnel{ctx: context.Background(), open: func(context.Context) (string, <-chan error, error) {
		a := addrs[0]
		addrs = addrs[1:]
		return a, make(chan error), nil // not (yet) reported as ended
	}}
	conn, err := tun.dial(context.Background(), "tcp", "ignored")
	if err != nil {
		t.Fatal(err)
	}
	conn.Close()
	if tun.addr != strings.TrimPrefix(upstream.URL, "http://") {
		t.Fatalf("tunnel at %s", tun.addr)
	}
}

func TestValidate(t *testing.T) {
	client := fake.NewClientset()
	for _, tc := range []struct {
		o   Options
		err string
	}{
		{Options{Release: "rel", Address: "127.0.0.1", Port: 4040}, ""},
		{Options{Release: "rel", Address: "127.0.0.1", Port: 70000}, "--port 70000"},
		{Options{Release: "rel", Address: "my host", Port: 0}, `--address "my host"`},
		{Options{Release: "rel", Address: "::1", Driver: "Spark1"}, `--driver "Spark1"`},
	} {
		tc.o.Client = client
		err := tc.o.Validate()
		if (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%+v: %v, want %q", tc.o, err, tc.err)
		}
	}
}
