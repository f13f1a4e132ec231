package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"
	watchtools "k8s.io/client-go/tools/watch"
)

// kwokCRDs are the kwok objects the cluster's kwok reads from the API (its enableCRDs), so
// tests can make it serve pods/log (Logs) and port-forward (PortForward) for the Pods they
// name. file is the CRD manifest hack/tools.sh copies from kwok's module into kwok-stages/.
var kwokCRDs = []struct{ kind, file string }{
	{"Logs", "kwok.x-k8s.io_logs.yaml"},
	{"PortForward", "kwok.x-k8s.io_portforwards.yaml"},
}

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// readKwokCRDs reads and checks the CRD manifests of kwokCRDs from stagesDir.
func readKwokCRDs(stagesDir string) ([]*unstructured.Unstructured, error) {
	var crds []*unstructured.Unstructured
	for _, c := range kwokCRDs {
		path := filepath.Join(stagesDir, c.file)
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("kwok's %s CRD manifest %s is missing (%v): run 'hack/tools.sh cluster', which copies it from kwok's module", c.kind, path, err)
		}
		crd, err := decodeCRD(data)
		if err != nil {
			return nil, fmt.Errorf("kwok's %s CRD manifest %s: %w: run 'hack/tools.sh cluster' after deleting it", c.kind, path, err)
		}
		if kind, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "kind"); kind != c.kind {
			return nil, fmt.Errorf("kwok's %s CRD manifest %s defines kind %q, not %q: run 'hack/tools.sh cluster' after deleting it", c.kind, path, kind, c.kind)
		}
		crds = append(crds, crd)
	}
	return crds, nil
}

// decodeCRD decodes the one apiextensions.k8s.io/v1 CustomResourceDefinition in a YAML file
// (empty documents, as a leading "---", are skipped).
func decodeCRD(data []byte) (*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var found *unstructured.Unstructured
	for {
		obj := map[string]any{}
		if err := dec.Decode(&obj); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("not YAML: %w", err)
		}
		if len(obj) == 0 {
			continue
		}
		u := &unstructured.Unstructured{Object: obj}
		if u.GetAPIVersion() != "apiextensions.k8s.io/v1" || u.GetKind() != "CustomResourceDefinition" {
			return nil, fmt.Errorf("holds a %s %s, not an apiextensions.k8s.io/v1 CustomResourceDefinition", u.GetAPIVersion(), u.GetKind())
		}
		if found != nil {
			return nil, fmt.Errorf("holds more than one CustomResourceDefinition")
		}
		found = u
	}
	if found == nil {
		return nil, fmt.Errorf("holds no CustomResourceDefinition")
	}
	return found, nil
}

// installCRDs creates crds (those already there are kept) and waits, by watch, until the API
// server reports each Established, so kwok's informers can list them when it starts.
func installCRDs(ctx context.Context, st *State, crds []*unstructured.Unstructured, log io.Writer) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", st.Kubeconfig)
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	var names []string
	for _, crd := range crds {
		if _, err := dyn.Resource(crdGVR).Create(ctx, crd, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create CustomResourceDefinition %s: %w", crd.GetName(), err)
		}
		names = append(names, crd.GetName())
	}
	fmt.Fprintf(log, "cluster: waiting for kwok's CRDs %v to be Established\n", names)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	list, err := dyn.Resource(crdGVR).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	pending := map[string]bool{}
	for _, n := range names {
		pending[n] = true
	}
	for i := range list.Items {
		if crdEstablished(&list.Items[i]) {
			delete(pending, list.Items[i].GetName())
		}
	}
	if len(pending) == 0 {
		return nil
	}
	rw, err := watchtools.NewRetryWatcherWithContext(ctx, list.GetResourceVersion(), &crdLW{dyn: dyn})
	if err != nil {
		return err
	}
	defer rw.Stop()
	for {
		select {
		case <-ctx.Done():
			left := make([]string, 0, len(pending))
			for n := range pending {
				left = append(left, n)
			}
			slices.Sort(left)
			return fmt.Errorf("CustomResourceDefinitions %v not Established within 30s: see %s", left, filepath.Join(st.Dir, "logs", "kube-apiserver.log"))
		case ev, ok := <-rw.ResultChan():
			if !ok {
				return fmt.Errorf("CustomResourceDefinition watch ended early")
			}
			if u, isU := ev.Object.(*unstructured.Unstructured); isU && ev.Type != watch.Deleted && crdEstablished(u) {
				delete(pending, u.GetName())
				if len(pending) == 0 {
					return nil
				}
			}
		}
	}
}

func crdEstablished(u *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		if m, ok := c.(map[string]any); ok && m["type"] == "Established" {
			return m["status"] == "True"
		}
	}
	return false
}

type crdLW struct{ dyn dynamic.Interface }

func (l *crdLW) WatchWithContext(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
	return l.dyn.Resource(crdGVR).Watch(ctx, opts)
}
