package cluster

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	watchtools "k8s.io/client-go/tools/watch"
)

// EnvKubeconfig names a running cluster for tests to reuse (make test sets it after
// `make cluster`). Without it, the first test that needs a cluster starts a private one.
const EnvKubeconfig = "SPARKMR3_KUBECONFIG"

// Cluster is a running control plane as tests see it.
type Cluster struct {
	kubeconfig string
	state      *State // set when this process started it
}

var (
	sharedOnce sync.Once
	shared     *Cluster
	sharedErr  error
)

// Shared returns the cluster named by $SPARKMR3_KUBECONFIG, or starts one for this test
// binary (stopped by Main). Tests using it must not run with -short.
func Shared(t testing.TB) *Cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("needs the local Kubernetes cluster; run without -short")
	}
	sharedOnce.Do(func() {
		if kc := os.Getenv(EnvKubeconfig); kc != "" {
			shared = &Cluster{kubeconfig: kc}
			return
		}
		dir, err := os.MkdirTemp("", "sparkmr3-cluster-")
		if err != nil {
			sharedErr = err
			return
		}
		st, err := Up(context.Background(), Options{Dir: dir, Log: os.Stderr})
		if err != nil {
			sharedErr = err
			return
		}
		shared = &Cluster{kubeconfig: st.Kubeconfig, state: st}
	})
	if sharedErr != nil {
		t.Fatalf("start the local cluster: %v", sharedErr)
	}
	return shared
}

// Private starts a control plane for this test alone (fault tests stop and restart its
// components) and stops it when the test ends. About 5 s.
func Private(t testing.TB) *Cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("needs a local Kubernetes cluster; run without -short")
	}
	dir, err := os.MkdirTemp("", "sparkmr3-private-")
	if err != nil {
		t.Fatal(err)
	}
	st, err := Up(context.Background(), Options{Dir: dir, Log: io.Discard})
	if err != nil {
		t.Fatalf("start a private cluster: %v", err)
	}
	t.Cleanup(func() {
		if err := Down(dir, io.Discard); err != nil {
			t.Errorf("stop the private cluster: %v", err)
		}
		_ = os.RemoveAll(dir)
	})
	return &Cluster{kubeconfig: st.Kubeconfig, state: st}
}

// Main runs the tests and stops a cluster that Shared started. Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(cluster.Main(m)) }
func Main(m *testing.M) int {
	code := m.Run()
	if shared != nil && shared.state != nil {
		if err := Down(shared.state.Dir, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
		_ = os.RemoveAll(shared.state.Dir)
	}
	return code
}

// Kubeconfig is the admin kubeconfig path.
func (c *Cluster) Kubeconfig() string { return c.kubeconfig }

// State is the control plane's recorded state: its dir, ports, PIDs, exec dir and audit log.
func (c *Cluster) State(t testing.TB) *State {
	t.Helper()
	if c.state != nil {
		return c.state
	}
	st, err := readState(filepath.Dir(c.kubeconfig))
	if err != nil {
		t.Fatalf("read the cluster state next to %s: %v", c.kubeconfig, err)
	}
	return st
}

// RESTConfig is an admin client configuration.
func (c *Cluster) RESTConfig(t testing.TB) *rest.Config {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", c.kubeconfig)
	if err != nil {
		t.Fatalf("load %s: %v", c.kubeconfig, err)
	}
	cfg.QPS, cfg.Burst = 200, 400
	return cfg
}

// Client is an admin typed client.
func (c *Cluster) Client(t testing.TB) kubernetes.Interface {
	t.Helper()
	cs, err := kubernetes.NewForConfig(c.RESTConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// Namespace creates a fresh namespace with the given labels, waits until its default
// ServiceAccount exists (pods need it), and deletes it when the test ends.
func (c *Cluster) Namespace(t testing.TB, labels map[string]string) string {
	t.Helper()
	cs := c.Client(t)
	name := strings.ToLower(fmt.Sprintf("t-%s-%s", sanitize(t.Name()), rand.String(5)))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ns, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create namespace %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = cs.CoreV1().Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{})
	})
	if err := waitServiceAccount(ctx, cs, name); err != nil {
		t.Fatalf("namespace %s: default ServiceAccount not created (is kube-controller-manager running?): %v", name, err)
	}
	return name
}

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteRune('-')
		}
	}
	out := strings.Trim(b.String(), "-")
	if len(out) > 40 {
		out = strings.Trim(out[:40], "-")
	}
	return out
}

func waitServiceAccount(ctx context.Context, cs kubernetes.Interface, ns string) error {
	list, err := cs.CoreV1().ServiceAccounts(ns).List(ctx, metav1.ListOptions{FieldSelector: "metadata.name=default"})
	if err != nil {
		return err
	}
	if len(list.Items) > 0 {
		return nil
	}
	lw := &saLW{cs: cs, ns: ns}
	_, err = watchtools.Until(ctx, list.ResourceVersion, lw, func(ev watch.Event) (bool, error) {
		return ev.Type == watch.Added, nil
	})
	return err
}

type saLW struct {
	cs kubernetes.Interface
	ns string
}

func (l *saLW) Watch(opts metav1.ListOptions) (watch.Interface, error) {
	opts.FieldSelector = fields.OneTermEqualSelector("metadata.name", "default").String()
	return l.cs.CoreV1().ServiceAccounts(l.ns).Watch(context.Background(), opts)
}

// Tool is the path of a cached test tool: helm3, helm4, kubectl, ct, or a control-plane
// binary. It fails the test with the fix when the tool is missing.
func Tool(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(ToolsDirFromEnv(), name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s not found in %s: run 'hack/tools.sh all' (make tools)", name, ToolsDirFromEnv())
	}
	return p
}
