package postrender

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/spark-mr3/spark-mr3/plugin/manifest"
)

// oddManifests has what the chart never renders but an overlay may meet: every kind with a
// pod template in kustomize's field specs, missing and null metadata, images with registries,
// ports, tags and digests, image volumes, containers outside pod specs, a CRD, existing labels.
const oddManifests = `---
# Source: x/templates/deploy.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
  labels:
    team: old
    n: "1"
spec:
  template:
    metadata: null
    spec:
      initContainers:
      - name: init
        image: registry.local:5000/mr3/init:1.0@sha256:abcdef0123456789
      containers:
      - name: a
        image: busybox
      - name: b
        image: busybox:1.36
      - name: c
        image: docker.io/library/busybox@sha256:0123
      - name: d
        image: busyboxer:2
      volumes:
      - name: v
        image:
          reference: busybox:1.0
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: s
spec:
  serviceName: s
  volumeClaimTemplates:
  - metadata:
      name: data
  template:
    spec:
      containers:
      - name: a
        image: mr3project/spark3:3.5.2
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: cj
  annotations: null
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: a
            image: busybox:1
---
apiVersion: batch/v1
kind: Job
metadata:
  name: j
spec:
  template:
    metadata:
      labels:
        keep: "yes"
    spec:
      containers:
      - name: a
        image: a.b/c:1
---
apiVersion: v1
kind: ReplicationController
metadata:
  name: rc
spec:
  template: {}
---
apiVersion: extensions/v1beta1
kind: DaemonSet
metadata:
  name: ds
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: rs
spec: {}
---
apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: default
spec:
  containers:
  - name: a
    image: busybox:latest
  volumes:
  - name: i
    image:
      reference: mr3project/spark3:3.5.2
---
apiVersion: example.com/v1
kind: Thing
metadata:
  name: t
spec:
  deep:
    containers:
    - name: a
      image: busybox:9
    initContainers: []
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: things.example.com
spec:
  containers:
  - image: busybox
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: c
data:
  x: |
    multi
    line
  "y": "true"
  z: "0x1F"
`

// overlays are the kustomizations package overlay applies, each run both ways.
var overlays = map[string]string{
	"resources only": "",
	"annotations":    "commonAnnotations:\n  team: spark\n  example.com/n: \"1\"\n  empty: \"\"\n  bench.sparkmr3.io/overlay: \"yes\"\n",
	"labels":         "labels:\n- pairs:\n    team: spark\n    tier: \"2\"\n    flag: \"true\"\n",
	"labels in templates": "labels:\n- pairs:\n    team: spark\n  includeTemplates: true\n  includeSelectors: false\n" +
		"- pairs:\n    tier: x\n  includeVolumeClaimTemplates: true\n",
	"odd keys":         "labels:\n- pairs:\n    2001-12-14: b\n    x-1_0: c\n    \"1:20\": d\n",
	"image tag":        "images:\n- name: busybox\n  newTag: \"1.37\"\n",
	"image name":       "images:\n- name: mr3project/spark3\n  newName: registry.local:5000/spark3\n",
	"image digest":     "images:\n- name: busybox\n  digest: sha256:ffff\n",
	"image tag+digest": "images:\n- name: busybox\n  newTag: \"2\"\n  digest: sha256:eeee\n",
	"image suffix":     "images:\n- name: busybox\n  tagSuffix: -debug\n",
	"image registry":   "images:\n- name: registry.local:5000/mr3/init\n  newTag: \"2.0\"\n",
	"image regexp":     "images:\n- name: a.b/c\n  newName: x/y\n- name: \"[\"\n  newTag: \"1\"\n- name: busybox\n  newName: busybox\n",
	"image chain":      "images:\n- name: busybox\n  newName: alpine\n- name: alpine\n  newTag: \"3\"\n",
	"all": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n" +
		"commonAnnotations:\n  a: b\nlabels:\n- pairs:\n    l: v\n  includeTemplates: true\n" +
		"images:\n- name: mr3project/spark3\n  newTag: 3.5.3\n",
}

// TestNativeOverlayIsKustomize runs every overlay on the chart's golden renders and on odd
// manifests through package overlay and through kustomize, and wants the same objects in the
// same order (read as helm reads them).
func TestNativeOverlayIsKustomize(t *testing.T) {
	inputs := map[string][]byte{"odd": []byte(oddManifests), "generated": genRelease(3)}
	goldens, err := filepath.Glob("../../test/chart/testdata/*.golden.yaml")
	if err != nil || len(goldens) == 0 {
		t.Fatalf("no golden renders: %v", err)
	}
	for _, g := range goldens {
		b, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		inputs[filepath.Base(g)] = b
	}
	for oname, body := range overlays {
		k := kustomization + body
		for iname, in := range inputs {
			t.Run(oname+"/"+iname, func(t *testing.T) {
				native, kust := bothEngines(t, k, in)
				if native.err != nil || kust.err != nil {
					t.Fatalf("native: %v; kustomize: %v", native.err, kust.err)
				}
				if !native.applied {
					t.Fatal("package overlay declined")
				}
				sameObjects(t, native.out, kust.out)
			})
		}
	}
}

type engineResult struct {
	out     []byte
	err     error
	applied bool // package overlay applied it (not declined)
}

func bothEngines(t *testing.T, k string, in []byte) (native, kust engineResult) {
	t.Helper()
	fs := overlayFS(t, map[string]string{"kustomization.yaml": k})
	pn, err := New(Options{KustomizeDir: "/overlay", FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	if pn.Engine() != "spark-mr3" {
		t.Fatalf("Engine() = %q for\n%s", pn.Engine(), k)
	}
	pk, err := New(Options{KustomizeDir: "/overlay", FS: fs, KustomizeOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var docs []*manifest.Document
	native.out, docs, native.err = pn.overlay(bytes.Clone(in))
	native.applied = docs != nil
	kust.out, kust.err = pk.Overlay(bytes.Clone(in))
	return native, kust
}

// sameObjects reads both streams as helm does (split on "---", YAML → JSON) and compares.
func sameObjects(t *testing.T, got, want []byte) {
	t.Helper()
	g, w := readObjects(t, got), readObjects(t, want)
	if len(g) != len(w) {
		t.Fatalf("%d objects, kustomize gives %d\n%s", len(g), len(w), got)
	}
	for i := range g {
		if !reflect.DeepEqual(g[i], lastBreakKept(w[i], g[i])) {
			gy, _ := yaml.Marshal(g[i])
			wy, _ := yaml.Marshal(w[i])
			t.Fatalf("object %d differs from kustomize's\nours:\n%s\nkustomize:\n%s", i+1, gy, wy)
		}
	}
}

// lastBreakKept puts back, in kustomize's object w, the line break that ends a block scalar
// written last in its document, which kustomize drops (it reads that break as part of the
// "---" that follows; e.g. the chart's log4j2.properties "…error\n" becomes "…error"). Ours
// keeps the value as helm rendered it. Only a string that g has with one more "\n" is changed.
func lastBreakKept(w, g any) any {
	switch wt := w.(type) {
	case map[string]any:
		gt, ok := g.(map[string]any)
		if !ok {
			return w
		}
		out := make(map[string]any, len(wt))
		for k, v := range wt {
			out[k] = lastBreakKept(v, gt[k])
		}
		return out
	case []any:
		gt, ok := g.([]any)
		if !ok || len(gt) != len(wt) {
			return w
		}
		out := make([]any, len(wt))
		for i, v := range wt {
			out[i] = lastBreakKept(v, gt[i])
		}
		return out
	case string:
		if gs, ok := g.(string); ok && gs == wt+"\n" {
			return gs
		}
	}
	return w
}

func readObjects(t *testing.T, stream []byte) []any {
	t.Helper()
	var out []any
	for doc := range strings.SplitSeq(string(stream), "\n---") {
		doc = strings.TrimPrefix(doc, "---")
		j, err := yaml.YAMLToJSON([]byte(doc))
		if err != nil {
			t.Fatalf("read %q: %v", doc, err)
		}
		var v any
		if err := yaml.Unmarshal(j, &v); err != nil {
			t.Fatal(err)
		}
		if v != nil {
			out = append(out, v)
		}
	}
	return out
}

// TestNativeOverlayDeclines: what package overlay does not apply goes to kustomize, whose
// result or error is then the one returned.
func TestNativeOverlayDeclines(t *testing.T) {
	t.Run("kustomization fields", func(t *testing.T) {
		for _, body := range []string{
			"namePrefix: x-\n",
			"commonLabels:\n  a: b\n",
			"labels:\n- pairs: {a: b}\n  includeSelectors: true\n",
			"labels:\n- pairs: {a: b}\n  fields:\n  - path: spec/x\n",
			"commonAnnotations:\n  a: true\n",
			"commonAnnotations:\n  \"yes\": b\n",
			"labels:\n- pairs:\n    \"n\": b\n",
			"labels:\n- pairs:\n    \"On\": b\n",
			"labels:\n- pairs:\n    \"0o17\": b\n",
			"labels:\n- pairs: {a: b}\n  includeTemplates: true\n- pairs: {a: c}\n",
			"images:\n- name: busybox\n  newTag: 1.5\n",
			"images:\n- newTag: \"1\"\n",
			"patches:\n- patch: |\n    - op: add\n      path: /metadata/labels/x\n      value: y\n  target:\n    kind: Pod\n",
			"sortOptions:\n  order: legacy\n",
			"kind: Component\n",
		} {
			fs := overlayFS(t, map[string]string{"kustomization.yaml": kustomization + body})
			p, err := New(Options{KustomizeDir: "/overlay", FS: fs})
			if err != nil {
				t.Fatalf("%q: %v", body, err)
			}
			if !strings.HasPrefix(p.Engine(), "kustomize: ") {
				t.Errorf("%q: Engine() = %q, want kustomize", body, p.Engine())
			}
		}
	})
	t.Run("input", func(t *testing.T) {
		ann := "commonAnnotations:\n  a: b\n"
		for name, in := range map[string]string{
			"duplicate id":           "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: default}\n",
			"kustomize's annotation": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n    config.kubernetes.io/index: \"0\"\n",
			"scalar on the path":     "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec: x\n",
			"annotations not a map":  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, annotations: [x]}\n",
			"a List":                 "apiVersion: v1\nkind: List\nitems: []\n",
		} {
			native, kust := bothEngines(t, kustomization+ann, []byte(in))
			if native.applied {
				t.Errorf("%s: applied, want declined", name)
			}
			if (native.err == nil) != (kust.err == nil) || !bytes.Equal(native.out, kust.out) {
				t.Errorf("%s: declined run differs from kustomize's: %v / %v", name, native.err, kust.err)
			}
		}
	})
}
