package cluster

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/portforward"
	watchtools "k8s.io/client-go/tools/watch"
	"k8s.io/client-go/transport/spdy"
)

func crdYAML(kind string) string {
	return fmt.Sprintf(`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: %ss.kwok.x-k8s.io
spec:
  group: kwok.x-k8s.io
  names: {kind: %s, plural: %ss}
  scope: Namespaced
`, strings.ToLower(kind), kind, strings.ToLower(kind))
}

func TestDecodeCRD(t *testing.T) {
	for _, tc := range []struct {
		name, data, want string // want: the error's text, "" for success
	}{
		{"leading separator", "---\n" + crdYAML("Logs"), ""},
		{"empty documents around", "---\n---\n" + crdYAML("Logs") + "---\n", ""},
		{"another kind", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", "holds a v1 ConfigMap, not an apiextensions.k8s.io/v1 CustomResourceDefinition"},
		{"two CRDs", crdYAML("Logs") + "---\n" + crdYAML("PortForward"), "more than one CustomResourceDefinition"},
		{"nothing", "---\n", "holds no CustomResourceDefinition"},
		{"not YAML", "kind: [", "not YAML"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			crd, err := decodeCRD([]byte(tc.data))
			if tc.want == "" {
				if err != nil || crd.GetName() != "logss.kwok.x-k8s.io" {
					t.Fatalf("got %v, %v", crd, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func TestReadKwokCRDsNamesTheFileAndTheFix(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	_, err := readKwokCRDs(dir)
	if want := filepath.Join(dir, "kwok.x-k8s.io_logs.yaml") + " is missing"; err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "hack/tools.sh cluster") {
		t.Fatalf("no files: got %v, want %q and the fix", err, want)
	}
	write("kwok.x-k8s.io_logs.yaml", crdYAML("Logs"))
	write("kwok.x-k8s.io_portforwards.yaml", crdYAML("Logs"))
	_, err = readKwokCRDs(dir)
	if err == nil || !strings.Contains(err.Error(), `kwok.x-k8s.io_portforwards.yaml defines kind "Logs", not "PortForward"`) || !strings.Contains(err.Error(), "hack/tools.sh cluster") {
		t.Fatalf("wrong kind: got %v", err)
	}
	write("kwok.x-k8s.io_portforwards.yaml", crdYAML("PortForward"))
	crds, err := readKwokCRDs(dir)
	if err != nil || len(crds) != 2 {
		t.Fatalf("got %d CRDs, %v", len(crds), err)
	}
}

// A tools cache made before the CRD manifests were copied is refused before anything starts.
func TestUpWithoutKwokCRDManifestsSaysHowToGetThem(t *testing.T) {
	tools := t.TempDir()
	for _, c := range components {
		if err := os.WriteFile(filepath.Join(tools, c), []byte("#!/bin/sh\nexit 1\n"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(tools, "kwok-stages"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tools, "kwok-stages", "pod-ready.yaml"), []byte("kind: Stage\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "cluster")
	_, err := Up(context.Background(), Options{Dir: dir, ToolsDir: tools, Log: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "kwok.x-k8s.io_logs.yaml is missing") || !strings.Contains(err.Error(), "hack/tools.sh cluster") {
		t.Fatalf("got %v, want an error naming the CRD manifest and the fix", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("the refused up made %s: %v", dir, err)
	}
}

func TestKwokConfigWatchesTheCRDKinds(t *testing.T) {
	stages := t.TempDir()
	for _, f := range []string{"node-initialize.yaml", "node-heartbeat-with-lease.yaml", "pod-ready.yaml", "pod-complete.yaml", "pod-delete.yaml"} {
		if err := os.WriteFile(filepath.Join(stages, f), []byte("kind: Stage\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "kwok.yaml")
	if err := writeKwokConfig(path, &State{ExecDir: "/x"}, stages); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	// kwok refuses a kind both watched and present in its configuration.
	if !strings.Contains(string(b), "\n  enableCRDs: [Logs, PortForward]\n") || strings.Contains(string(b), "\nkind: Logs\n") || strings.Contains(string(b), "\nkind: PortForward\n") {
		t.Fatalf("kwok config:\n%s", b)
	}
}

// kwok serves a Pod's log and port-forward from the Logs and PortForward objects in the API.
func TestKwokServesLogsAndPortForwardOfTheObjectsInTheAPI(t *testing.T) {
	needTools(t)
	c := Private(t)
	ctx := context.Background()
	cs := c.Client(t)
	cfg, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig())
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ns := c.Namespace(t, nil)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p"},
		Spec: corev1.PodSpec{NodeName: "kwok-node-0", Containers: []corev1.Container{{Name: "c", Image: "none"}},
			Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}}},
	}
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	sel := fields.OneTermEqualSelector("metadata.name", pod.Name).String()
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.FieldSelector = sel
			return cs.CoreV1().Pods(ns).List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.FieldSelector = sel
			return cs.CoreV1().Pods(ns).Watch(ctx, o)
		},
	}
	if _, err := watchtools.UntilWithSync(wctx, lw, &corev1.Pod{}, nil, func(ev watch.Event) (bool, error) {
		p, ok := ev.Object.(*corev1.Pod)
		return ok && p.Status.Phase == corev1.PodRunning, nil
	}); err != nil {
		t.Fatalf("Pod not Running: %v", err)
	}

	logFile := filepath.Join(t.TempDir(), "p.log")
	if err := os.WriteFile(logFile, []byte("2026-01-01T00:00:00.000000000Z stdout F hello from kwok\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "hello through the port-forward") })}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	for gvr, obj := range map[schema.GroupVersionResource]map[string]any{
		{Group: "kwok.x-k8s.io", Version: "v1alpha1", Resource: "logs"}: {
			"kind": "Logs", "spec": map[string]any{"logs": []any{map[string]any{"logsFile": logFile}}}},
		{Group: "kwok.x-k8s.io", Version: "v1alpha1", Resource: "portforwards"}: {
			"kind": "PortForward", "spec": map[string]any{"forwards": []any{map[string]any{"ports": []any{int64(4040)},
				"target": map[string]any{"address": "127.0.0.1", "port": int64(ln.Addr().(*net.TCPAddr).Port)}}}}},
	} {
		obj["apiVersion"] = "kwok.x-k8s.io/v1alpha1"
		obj["metadata"] = map[string]any{"name": pod.Name, "namespace": ns}
		if _, err := dyn.Resource(gvr).Namespace(ns).Create(ctx, &unstructured.Unstructured{Object: obj}, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create %s: %v", gvr.Resource, err)
		}
	}

	// kwok learns of the objects through its informers: retry until it serves them.
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, err := cs.CoreV1().Pods(ns).GetLogs(pod.Name, &corev1.PodLogOptions{Container: "c"}).DoRaw(ctx)
		if err == nil && string(b) == "hello from kwok\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pods/log: %q, %v", b, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for {
		body, err := getThroughPortForward(t, c, ns, pod.Name)
		if err == nil && body == "hello through the port-forward" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("port-forward: %q, %v", body, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// getThroughPortForward opens a port-forward to the Pod's port 4040 and GETs / through it.
func getThroughPortForward(t *testing.T, c *Cluster, ns, pod string) (string, error) {
	cfg := c.RESTConfig(t)
	rt, upgrader, err := spdy.RoundTripperFor(cfg)
	if err != nil {
		return "", err
	}
	u, err := url.Parse(fmt.Sprintf("%s/api/v1/namespaces/%s/pods/%s/portforward", strings.TrimSuffix(cfg.Host, "/"), ns, pod))
	if err != nil {
		return "", err
	}
	dialer := spdy.NewDialer(upgrader, &http.Client{Transport: rt}, http.MethodPost, u)
	stop, ready := make(chan struct{}), make(chan struct{})
	defer close(stop)
	fw, err := portforward.NewOnAddresses(dialer, []string{"127.0.0.1"}, []string{"0:4040"}, stop, ready, io.Discard, io.Discard)
	if err != nil {
		return "", err
	}
	errCh := make(chan error, 1)
	go func() { errCh <- fw.ForwardPorts() }()
	select {
	case <-ready:
	case err := <-errCh:
		return "", err
	case <-time.After(10 * time.Second):
		return "", fmt.Errorf("port-forward not ready in 10s")
	}
	ports, err := fw.GetPorts()
	if err != nil {
		return "", err
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(fmt.Sprintf("http://127.0.0.1:%d/", ports[0].Local))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}
