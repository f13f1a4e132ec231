package postrender

import (
	"bytes"
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/spark-mr3/spark-mr3/plugin/manifest"
)

// FuzzRun feeds arbitrary streams to the post-renderer: it must never crash, must return
// either output or an error (never both), and output must be helm's input unchanged.
func FuzzRun(f *testing.F) {
	f.Add(genRelease(1))
	f.Add(bytes.Replace(genRelease(1), []byte(`value: "13107"`), []byte(`value: "x"`), 1))
	f.Add([]byte("---\n# Source: a.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  mr3-site.xml: <configuration/>\n"))
	p, err := New(Options{Limits: manifest.Limits{MaxBytes: 1 << 20}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := p.Run(bytes.NewBuffer(bytes.Clone(in)))
		if (out == nil) == (err == nil) {
			t.Fatalf("output %v and error %v", out != nil, err)
		}
		if err == nil && !bytes.Equal(out.Bytes(), in) {
			t.Fatal("output differs from input")
		}
	})
}

// wellTyped reports whether every document of a built-in kind decodes into its Go type: the
// objects an API server would take. Only for those is package overlay held to kustomize's
// result: on, say, a Deployment whose spec is a string kustomize's name-reference pass fails
// and package overlay does not look.
func wellTyped(in []byte) bool {
	docs, err := manifest.Parse(in, manifest.Limits{})
	if err != nil {
		return true // both read the stream; the comparison covers it
	}
	for _, d := range docs {
		gv, err := schema.ParseGroupVersion(d.Head.APIVersion)
		if err != nil {
			return false
		}
		obj, err := scheme.Scheme.New(gv.WithKind(d.Head.Kind))
		if err != nil {
			continue // not a built-in kind
		}
		if d.Decode(obj) != nil {
			return false
		}
	}
	return true
}

// readAlike reports whether kustomize's YAML reader (YAML 1.2) reads every document as helm's
// (go-yaml v2, YAML 1.1) does. Where they differ ("{name:0a}" is a key with a null value for
// one and an empty string for the other) package overlay gives what helm reads.
func readAlike(in []byte) bool {
	docs, err := manifest.Parse(in, manifest.Limits{})
	if err != nil {
		return true
	}
	for _, d := range docs {
		rn, err := kyaml.Parse(string(d.Raw))
		if err != nil {
			return false
		}
		j, err := rn.MarshalJSON()
		if err != nil {
			return false
		}
		var theirs any
		if json.Unmarshal(j, &theirs) != nil {
			return false
		}
		ours, err := json.Marshal(d.Object())
		if err != nil {
			return false
		}
		var o any
		if json.Unmarshal(ours, &o) != nil || !reflect.DeepEqual(o, theirs) {
			return false
		}
	}
	return true
}

// FuzzNativeOverlay runs arbitrary streams through every overlay of package overlay's
// differential test, both ways: when package overlay applies the overlay, the objects must be
// kustomize's; when it declines, the run must be kustomize's, result or error. Streams with a
// document that is not a valid object of its built-in kind, or that the two YAML readers read
// differently, are skipped (see wellTyped and readAlike).
func FuzzNativeOverlay(f *testing.F) {
	f.Add([]byte(oddManifests), uint8(0))
	f.Add(genRelease(1), uint8(3))
	f.Add([]byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p, annotations: {}}\nspec: {containers: [{name: a, image: busybox}]}\n"), uint8(5))
	names := slices.Sorted(maps.Keys(overlays))
	f.Fuzz(func(t *testing.T, in []byte, which uint8) {
		if len(in) > 1<<13 {
			return
		}
		if !wellTyped(in) || !readAlike(in) {
			return
		}
		k := kustomization + overlays[names[int(which)%len(names)]]
		native, kust := bothEngines(t, k, in)
		if (native.err == nil) != (kust.err == nil) {
			t.Fatalf("native error %v, kustomize error %v", native.err, kust.err)
		}
		if native.err != nil {
			return
		}
		if !native.applied {
			if !bytes.Equal(native.out, kust.out) {
				t.Fatal("declined, yet the output is not kustomize's")
			}
			return
		}
		sameObjects(t, native.out, kust.out)
	})
}
