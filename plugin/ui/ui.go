// Package ui makes a driver's Spark web UI reachable from this machine: a port-forward to the
// driver Pod's UI port (client-go's portforward, WebSocket with SPDY fallback as kubectl does)
// and, in front of it, a small reverse proxy on the printed address that serves the UI under
// the path of spark.ui.proxyBase, where Spark's own links point.
//
// MR3's scripts set spark.ui.proxyBase=${PROXY_BASE}/${DRIVER_NAME} (PROXY_BASE from env.sh,
// the chart's spark.uiProxyBase; DRIVER_NAME from the driver Pod). Spark serves its pages at
// the root but prefixes every link with proxyBase, so a bare port-forward shows a first page
// whose links 404; the proxy serves proxyBase's path and strips it on the way to Spark.
package ui

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"github.com/spark-mr3/spark-mr3/plugin/logs"
	"github.com/spark-mr3/spark-mr3/plugin/mr3conf"
)

// DefaultUIPort is SPARK_UI_PORT of the chart's env.sh (spark.ui.port), used when the driver
// container has no port named webui.
const DefaultUIPort = 4040

// Options is one `ui`.
type Options struct {
	Namespace string
	Release   string
	// Driver is the driver entry's name; empty picks one (logs.PickDriver).
	Driver string
	// Address and Port are where the proxy listens (port 0: any free port).
	Address string
	Port    int

	IO     genericiooptions.IOStreams
	Client kubernetes.Interface
	Config *rest.Config
	// Forward opens the tunnel to the Pod's port and returns its local address and a channel
	// that receives the tunnel's end; default PortForward through Config.
	Forward func(ctx context.Context, pod *corev1.Pod, port int) (addr string, done <-chan error, err error)
	// Ready, when set, is called with the printed URL once the proxy listens (tests).
	Ready func(url string)
}

// Validate refuses bad flags before anything touches the cluster.
func (o *Options) Validate() error {
	if err := logs.ValidateNames(o.Release, o.Driver); err != nil {
		return err
	}
	if o.Port < 0 || o.Port > 65535 {
		return fmt.Errorf("--port %d: use a TCP port 1-65535, or 0 for any free port", o.Port)
	}
	if ip := net.ParseIP(o.Address); ip == nil && o.Address != "localhost" {
		return fmt.Errorf("--address %q: use an IP address of this machine (127.0.0.1 keeps the UI to this machine; 0.0.0.0 opens it to the network)", o.Address)
	}
	return nil
}

// Base is where the UI is served and why.
type Base struct {
	// ProxyBase is spark.ui.proxyBase as MR3's script builds it.
	ProxyBase string
	// Prefix is its path, under which the proxy serves the UI ("" when it has none).
	Prefix string
	// Note explains a choice the user should know about (a guessed PROXY_BASE, a gateway).
	Note string
}

// UIBase works out spark.ui.proxyBase for driver d: PROXY_BASE from the env.sh the Pod mounts
// at BASE_DIR/env.sh (a Secret or ConfigMap, read through the API), DRIVER_NAME from the
// driver container's environment (env.sh may override both, as when the script sources it).
func UIBase(ctx context.Context, client kubernetes.Interface, d logs.Driver) Base {
	podEnv := map[string]string{}
	c := container(d)
	if c != nil {
		for _, e := range c.Env {
			if e.ValueFrom == nil {
				podEnv[e.Name] = e.Value
			}
		}
	}
	driverName := podEnv["DRIVER_NAME"]
	if driverName == "" {
		driverName = d.Name
	}
	var note string
	proxyBase := ""
	data, where, err := envSh(ctx, client, d.Pod, c)
	switch {
	case err != nil:
		note = fmt.Sprintf("could not read env.sh (%v): assuming PROXY_BASE is empty, the chart's default", err)
	case data != nil:
		env, perr := mr3conf.SourceEnvSh(data, mr3conf.Env{Values: podEnv})
		if perr != nil {
			note = fmt.Sprintf("could not read %s (%v): assuming PROXY_BASE is empty, the chart's default", where, perr)
			break
		}
		pb := env.Get("PROXY_BASE")
		if pb.Unknown != "" {
			note = fmt.Sprintf("PROXY_BASE in %s cannot be told without running it (%s): assuming it is empty", where, pb.Unknown)
		} else {
			proxyBase = pb.Value
		}
		if dn := env.Get("DRIVER_NAME"); dn.Source == mr3conf.FromEnvSh && dn.Unknown == "" && dn.Value != "" {
			driverName = dn.Value
		}
	}
	b := Base{ProxyBase: proxyBase + "/" + driverName, Note: note}
	b.Prefix = b.ProxyBase
	if u, err := url.Parse(b.ProxyBase); err == nil && u.Host != "" {
		b.Prefix = u.Path
		gw := fmt.Sprintf("spark.ui.proxyBase is %s: the UI's links lead to that gateway; here the UI is served under %s", b.ProxyBase, u.Path)
		if b.Note != "" {
			gw = b.Note + "; " + gw
		}
		b.Note = gw
	}
	if b.Prefix != "" && !strings.HasPrefix(b.Prefix, "/") {
		b.Prefix = "/" + b.Prefix
	}
	b.Prefix = strings.TrimRight(path.Clean("/"+strings.TrimPrefix(b.Prefix, "/")), "/")
	return b
}

func container(d logs.Driver) *corev1.Container {
	name := d.Container()
	for i := range d.Pod.Spec.Containers {
		if d.Pod.Spec.Containers[i].Name == name {
			return &d.Pod.Spec.Containers[i]
		}
	}
	return nil
}

// envSh reads the env.sh mounted at BASE_DIR/env.sh in c: nil, nil when none is mounted.
func envSh(ctx context.Context, client kubernetes.Interface, pod *corev1.Pod, c *corev1.Container) ([]byte, string, error) {
	if c == nil {
		return nil, "", nil
	}
	target := contract.DefaultBaseDir + "/" + contract.FileEnvSh
	for _, m := range c.VolumeMounts {
		if m.MountPath != target && !(m.MountPath == contract.DefaultBaseDir && m.SubPath == "") {
			continue
		}
		file := m.SubPath
		if m.MountPath == contract.DefaultBaseDir {
			file = contract.FileEnvSh
		}
		for _, v := range pod.Spec.Volumes {
			if v.Name != m.Name {
				continue
			}
			switch {
			case v.Secret != nil:
				key := keyFor(v.Secret.Items, file)
				s, err := client.CoreV1().Secrets(pod.Namespace).Get(ctx, v.Secret.SecretName, metav1.GetOptions{})
				if err != nil {
					return nil, "", forbiddenHint(err, "secrets", pod.Namespace, v.Secret.SecretName)
				}
				return s.Data[key], fmt.Sprintf("env.sh (Secret %s key %s)", s.Name, key), nil
			case v.ConfigMap != nil:
				key := keyFor(v.ConfigMap.Items, file)
				cm, err := client.CoreV1().ConfigMaps(pod.Namespace).Get(ctx, v.ConfigMap.Name, metav1.GetOptions{})
				if err != nil {
					return nil, "", forbiddenHint(err, "configmaps", pod.Namespace, v.ConfigMap.Name)
				}
				return []byte(cm.Data[key]), fmt.Sprintf("env.sh (ConfigMap %s key %s)", cm.Name, key), nil
			}
		}
	}
	return nil, "", nil
}

// keyFor is the key projected to file (items), else file itself.
func keyFor(items []corev1.KeyToPath, file string) string {
	for _, it := range items {
		if it.Path == file {
			return it.Key
		}
	}
	return file
}

func forbiddenHint(err error, resource, namespace, name string) error {
	if apierrors.IsForbidden(err) {
		return fmt.Errorf("no permission to get %s %s in namespace %s; if the release sets spark.uiProxyBase, open <its path>/<DRIVER_NAME>/ on the printed address instead (or ask for get on %s/%s)", resource, name, namespace, resource, name)
	}
	return err
}

// uiPort is the driver container's port named webui, else DefaultUIPort.
func uiPort(d logs.Driver) int {
	if c := container(d); c != nil {
		for _, p := range c.Ports {
			if p.Name == "webui" && p.ContainerPort > 0 {
				return int(p.ContainerPort)
			}
		}
	}
	return DefaultUIPort
}

// Run forwards the UI and serves it until ctx ends (Ctrl-C: nil). client-go ends a
// port-forward whenever one connection through it fails (as when no job runs, so nothing
// listens on the UI port): the proxy then opens a new one for the next request.
func (o *Options) Run(ctx context.Context) error {
	if o.Client == nil {
		return errors.New("no cluster configuration")
	}
	drivers, err := logs.FindDrivers(ctx, o.Client, o.Namespace, o.Release)
	if err != nil {
		return err
	}
	d, note, err := logs.PickDriver(drivers, o.Driver, o.Release, o.Namespace)
	if err != nil {
		return err
	}
	if note != "" {
		fmt.Fprintln(o.IO.ErrOut, note)
	}
	base := UIBase(ctx, o.Client, d)
	if base.Note != "" {
		fmt.Fprintf(o.IO.ErrOut, "note: %s\n", base.Note)
	}
	port := uiPort(d)

	ln, err := net.Listen("tcp", net.JoinHostPort(o.Address, strconv.Itoa(o.Port)))
	if err != nil {
		return fmt.Errorf("listen on %s port %d: %w; pass another --port (0 picks a free one)", o.Address, o.Port, err)
	}
	defer ln.Close()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	forward := o.Forward
	if forward == nil {
		forward = func(ctx context.Context, pod *corev1.Pod, port int) (string, <-chan error, error) {
			return PortForward(ctx, o.Config, pod, port)
		}
	}
	where := fmt.Sprintf("Pod %s/%s port %d", d.Pod.Namespace, d.Pod.Name, port)
	tun := &tunnel{ctx: ctx, open: func(ctx context.Context) (string, <-chan error, error) {
		addr, done, err := forward(ctx, d.Pod, port)
		if err != nil {
			return "", nil, fmt.Errorf("port-forward to %s: %w", where, err)
		}
		return addr, done, nil
	}}
	// Once before the URL is printed: a refusal (RBAC on pods/portforward, the Pod gone) ends ui.
	if _, err := tun.current(); err != nil {
		return err
	}
	// The target's host only names the UI for Spark (its Host header); every connection goes
	// through the tunnel.
	target := &url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
	unreachable := fmt.Sprintf("No Spark UI answers in driver %s (Pod %s, port %d). Spark serves its UI only while a job (spark-submit or spark-shell) runs in the driver: start one, then reload.", d.Name, d.Pod.Name, port)
	transport := &http.Transport{DialContext: tun.dial, MaxIdleConnsPerHost: 4, IdleConnTimeout: 30 * time.Second}
	defer transport.CloseIdleConnections()
	srv := &http.Server{Handler: Proxy(base.Prefix, target, transport, unreachable), ReadHeaderTimeout: 30 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	host := ln.Addr().(*net.TCPAddr)
	shown := o.Address
	if ip := net.ParseIP(o.Address); ip != nil && ip.IsUnspecified() {
		shown = "127.0.0.1"
	}
	u := (&url.URL{Scheme: "http", Host: net.JoinHostPort(shown, strconv.Itoa(host.Port)), Path: base.Prefix + "/"}).String()
	fmt.Fprintf(o.IO.ErrOut, "Spark UI of driver %s (Pod %s, port %d), spark.ui.proxyBase %s; Ctrl-C stops\n", d.Name, d.Pod.Name, port, base.ProxyBase)
	fmt.Fprintln(o.IO.Out, u)
	if o.Ready != nil {
		o.Ready(u)
	}

	var runErr error
	select {
	case <-ctx.Done():
	case err := <-served:
		runErr = fmt.Errorf("serve the UI on %s: %w", ln.Addr(), err)
	}
	shutdown, stop := context.WithTimeout(context.Background(), 2*time.Second)
	defer stop()
	_ = srv.Shutdown(shutdown)
	return runErr
}

// tunnel is the current port-forward, reopened when it has ended.
type tunnel struct {
	ctx  context.Context
	open func(context.Context) (addr string, done <-chan error, err error)

	mu   sync.Mutex
	addr string
	done <-chan error
}

// current is the address of a live port-forward, opening one when there is none.
func (t *tunnel) current() (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done != nil {
		select {
		case <-t.done:
		default:
			return t.addr, nil
		}
	}
	addr, done, err := t.open(t.ctx)
	if err != nil {
		t.addr, t.done = "", nil
		return "", err
	}
	t.addr, t.done = addr, done
	return addr, nil
}

// ended marks the port-forward at addr as gone (a connection to it was refused before its
// end was reported).
func (t *tunnel) ended(addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.addr == addr {
		closed := make(chan error)
		close(closed)
		t.done = closed
	}
}

// dial connects to the UI through the current port-forward, reopening it once when it is gone.
func (t *tunnel) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	var d net.Dialer
	for attempt := 0; ; attempt++ {
		addr, err := t.current()
		if err != nil {
			return nil, err
		}
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err == nil || attempt > 0 || ctx.Err() != nil {
			return conn, err
		}
		t.ended(addr)
	}
}
