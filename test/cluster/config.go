package cluster

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	_ "embed"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	watchtools "k8s.io/client-go/tools/watch"
)

func writeKubeconfig(path, server, ca, cert, key string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["local"] = &clientcmdapi.Cluster{Server: server, CertificateAuthority: ca}
	cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{ClientCertificate: cert, ClientKey: key}
	cfg.Contexts["local"] = &clientcmdapi.Context{Cluster: "local", AuthInfo: "admin", Namespace: "default"}
	cfg.CurrentContext = "local"
	return clientcmd.WriteToFile(*cfg, path)
}

// auditPolicy records, at Metadata level, requests made by clients other than the control
// plane's own components and kwok, so a benchmark can count the API calls a command makes.
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: None
  users: ["kwok", "system:kube-controller-manager", "system:kube-scheduler", "system:apiserver"]
- level: None
  userGroups: ["system:serviceaccounts", "system:nodes"]
- level: Metadata
`

// kwokCRDKinds are the kinds kwok watches in the API instead of reading them from its
// configuration (a kind in both is refused by kwok).
func kwokCRDKinds() []string {
	kinds := make([]string, 0, len(kwokCRDs))
	for _, c := range kwokCRDs {
		kinds = append(kinds, c.kind)
	}
	return kinds
}

func writeKwokConfig(path string, st *State, stagesDir string) error {
	b, err := kwokConfig(st, stagesDir)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

// outdatedKwokConfig says why the kwok of a running cluster was started with another
// configuration than this code writes (as a cluster started before kwok watched its Logs and
// PortForward objects), or "" when it is current or cannot be told.
func outdatedKwokConfig(st *State, stagesDir string) string {
	want, err := kwokConfig(st, stagesDir)
	if err != nil {
		return ""
	}
	have, err := os.ReadFile(filepath.Join(st.Dir, "kwok.yaml"))
	if err != nil {
		return ""
	}
	if !bytes.Equal(have, want) {
		return filepath.Join(st.Dir, "kwok.yaml") + " differs from what test/cluster writes now"
	}
	return ""
}

// kwokConfig is kwok's --config: its options, the ClusterExec that runs exec on this machine
// and the Stage documents.
func kwokConfig(st *State, stagesDir string) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, `apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokConfiguration
options:
  nodePort: %d
  cidr: 10.244.0.1/16
  nodeIP: 127.0.0.1
  manageAllNodes: false
  manageNodesWithAnnotationSelector: kwok.x-k8s.io/node=fake
  nodeLeaseDurationSeconds: 40
  nodeLeaseParallelism: 4
  podPlayStageParallelism: 8
  nodePlayStageParallelism: 4
  enableCRDs: [%s]
  enableDebuggingHandlers: true
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterExec
metadata:
  name: run-on-this-machine
spec:
  execs:
  - local:
      workDir: %s
`, st.Ports.Kwok, strings.Join(kwokCRDKinds(), ", "), st.ExecDir)
	for _, f := range []string{"node-initialize.yaml", "node-heartbeat-with-lease.yaml", "pod-ready.yaml", "pod-complete.yaml", "pod-delete.yaml"} {
		data, err := os.ReadFile(filepath.Join(stagesDir, f))
		if err != nil {
			return nil, fmt.Errorf("read kwok stage %s: %w (run 'hack/tools.sh cluster')", f, err)
		}
		b.WriteString("---\n")
		b.Write(bytes.TrimPrefix(data, []byte("---\n")))
		if !bytes.HasSuffix(data, []byte("\n")) {
			b.WriteString("\n")
		}
	}
	b.WriteString("---\n")
	b.Write(helmTestPodStage)
	return b.Bytes(), nil
}

//go:embed stage-complete-test-pods.yaml
var helmTestPodStage []byte

func adminTLS(st *State) (*tls.Config, error) {
	pk := pki{dir: filepath.Join(st.Dir, "pki")}
	cert, err := tls.LoadX509KeyPair(pk.path("admin.crt"), pk.path("admin.key"))
	if err != nil {
		return nil, err
	}
	ca, err := os.ReadFile(pk.path("ca.crt"))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	return &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool}, nil
}

func httpGet(ctx context.Context, url string, tc *tls.Config) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: tc}}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}

// waitHealthy waits for kube-apiserver's /readyz.
func waitHealthy(ctx context.Context, st *State, timeout time.Duration) error {
	tc, err := adminTLS(st)
	if err != nil {
		return err
	}
	return waitFor(ctx, st, "kube-apiserver", timeout, func() error {
		return httpGet(ctx, fmt.Sprintf("https://127.0.0.1:%d/readyz", st.Ports.APIServer), tc)
	})
}

// Client returns a typed client for the cluster recorded in st, as the admin user.
func (st *State) Client() (kubernetes.Interface, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", st.Kubeconfig)
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = 200, 400
	return kubernetes.NewForConfig(cfg)
}

// registerNodes creates n simulated nodes that kwok manages and waits (by watch) until all
// are Ready.
func registerNodes(ctx context.Context, st *State, n int, log io.Writer) error {
	cs, err := st.Client()
	if err != nil {
		return err
	}
	for i := range n {
		name := fmt.Sprintf("kwok-node-%d", i)
		node := &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{
				Name:        name,
				Annotations: map[string]string{"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
				Labels: map[string]string{"kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
					"kubernetes.io/arch": "amd64", "type": "kwok"},
			},
			Status: corev1.NodeStatus{
				Capacity: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("32"),
					corev1.ResourceMemory: resource.MustParse("256Gi"), corev1.ResourcePods: resource.MustParse("110")},
				Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("32"),
					corev1.ResourceMemory: resource.MustParse("256Gi"), corev1.ResourcePods: resource.MustParse("110")},
			},
		}
		if _, err := cs.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("register node %s: %w", name, err)
		}
	}
	fmt.Fprintf(log, "cluster: waiting for %d nodes to be Ready\n", n)
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	ready := map[string]bool{}
	list, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for i := range list.Items {
		ready[list.Items[i].Name] = nodeReady(&list.Items[i])
	}
	count := func() int {
		c := 0
		for _, r := range ready {
			if r {
				c++
			}
		}
		return c
	}
	if count() >= n {
		return nil
	}
	rw, err := watchtools.NewRetryWatcherWithContext(ctx, list.ResourceVersion, &nodeLW{cs: cs})
	if err != nil {
		return err
	}
	defer rw.Stop()
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("only %d of %d simulated nodes became Ready within 60s: see %s", count(), n, filepath.Join(st.Dir, "logs", "kwok.log"))
		case ev, ok := <-rw.ResultChan():
			if !ok {
				return fmt.Errorf("node watch ended early")
			}
			if node, isNode := ev.Object.(*corev1.Node); isNode && ev.Type != watch.Deleted {
				ready[node.Name] = nodeReady(node)
				if count() >= n {
					return nil
				}
			}
		}
	}
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

type nodeLW struct{ cs kubernetes.Interface }

func (l *nodeLW) WatchWithContext(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
	opts.FieldSelector = fields.Everything().String()
	return l.cs.CoreV1().Nodes().Watch(ctx, opts)
}
