package mr3model

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes"
)

// Labels of the release's driver Pods (docs/DESIGN.md).
const (
	labelInstance  = "app.kubernetes.io/instance"
	labelComponent = "app.kubernetes.io/component"
	labelDriver    = "sparkmr3.io/driver"
)

// StageRelease stages every driver Pod of an installed release, reading the Pods, ConfigMaps
// and Secrets through the API. Call it after install (the Pods exist) and before submit.
func StageRelease(ctx context.Context, cs kubernetes.Interface, ns, release string, root Root) (map[string]*Driver, error) {
	pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{
		LabelSelector: labelInstance + "=" + release + "," + labelComponent + "=driver"})
	if err != nil {
		return nil, fmt.Errorf("list the driver Pods of release %s: %w", release, err)
	}
	if len(pods.Items) == 0 {
		return nil, fmt.Errorf("release %s in namespace %s has no driver Pods yet", release, ns)
	}
	objs := APIObjects{Ctx: ctx, Client: cs, Namespace: ns}
	out := map[string]*Driver{}
	for i := range pods.Items {
		p := &pods.Items[i]
		name := p.Labels[labelDriver]
		if name == "" {
			name = p.Labels["sparkmr3_app"]
		}
		d, err := Stage(root, name, p, objs)
		if err != nil {
			return nil, err
		}
		out[name] = d
	}
	return out, nil
}

// Manifest is a rendered release: its driver StatefulSets' Pods (as the controller would make
// them) and its ConfigMaps and Secrets.
type Manifest struct {
	Namespace string
	Pods      map[string]*corev1.Pod // by driver name
	Objects   ListObjects
}

// ParseManifest reads `helm template` output (ns: the release namespace, for objects that
// carry none).
func ParseManifest(data []byte, ns string) (*Manifest, error) {
	m := &Manifest{Namespace: ns, Pods: map[string]*corev1.Pod{},
		Objects: ListObjects{ConfigMaps: map[string]*corev1.ConfigMap{}, Secrets: map[string]*corev1.Secret{}}}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var u unstructured.Unstructured
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("read the manifest: %w", err)
		}
		if u.Object == nil {
			continue
		}
		if u.GetNamespace() == "" {
			u.SetNamespace(ns)
		}
		switch u.GetKind() {
		case "ConfigMap":
			var cm corev1.ConfigMap
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &cm); err != nil {
				return nil, err
			}
			m.Objects.ConfigMaps[cm.Name] = &cm
		case "Secret":
			var s corev1.Secret
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &s); err != nil {
				return nil, err
			}
			m.Objects.Secrets[s.Name] = &s
		case "StatefulSet":
			var sts appsv1.StatefulSet
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &sts); err != nil {
				return nil, err
			}
			if sts.Labels[labelComponent] != "driver" {
				continue
			}
			// By the entry's name D (its handle, as StageRelease keys them); the StatefulSet and
			// its Pod are F-D and F-D-0.
			name := sts.Spec.Template.Labels[labelDriver]
			if name == "" {
				name = sts.Name
			}
			m.Pods[name] = &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: sts.Name + "-0", Namespace: sts.Namespace,
					Labels: sts.Spec.Template.Labels, Annotations: sts.Spec.Template.Annotations},
				Spec: sts.Spec.Template.Spec,
			}
		}
	}
	return m, nil
}

// Drivers are the driver names, sorted.
func (m *Manifest) Drivers() []string {
	var out []string
	for d := range m.Pods {
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

// Stage stages driver d of the rendered release, to be run directly (Driver.Exec): the Pod's
// command annotations are pointed at the staged scripts, since no exec reads them.
func (m *Manifest) Stage(root Root, d string) (*Driver, error) {
	p, ok := m.Pods[d]
	if !ok {
		return nil, fmt.Errorf("the manifest has no driver %q (drivers: %v)", d, m.Drivers())
	}
	p = p.DeepCopy()
	if p.Annotations == nil {
		p.Annotations = map[string]string{}
	}
	p.Annotations["sparkmr3.io/submit-command"] = root.SubmitCommand(d)
	p.Annotations["sparkmr3.io/shell-command"] = root.ShellCommand(d)
	return Stage(root, d, p, m.Objects)
}
