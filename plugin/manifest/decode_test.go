package manifest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/yaml"
)

// tricky holds what a YAML→JSON→struct decode treats specially: quantities, int-or-string
// ports, base64 Secret data, numeric and boolean map keys, null, floats, anchors.
const tricky = `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: spark1
  labels: {a: "1", b: "true"}
  annotations:
    x: &v "some value"
    y: *v
spec:
  replicas: 1
  serviceName: spark1
  selector: {matchLabels: {sparkmr3_app: spark1}}
  template:
    metadata: {labels: {sparkmr3_app: spark1}}
    spec:
      terminationGracePeriodSeconds: 30
      containers:
        - name: driver
          image: i
          args: ["1", "2.5", "yes"]
          resources:
            limits: {cpu: 1, memory: 4Gi}
            requests: {cpu: 500m, memory: 3.5Gi}
          ports: [{containerPort: 9850, name: driver}]
          readinessProbe: {tcpSocket: {port: driver}, periodSeconds: 1}
          livenessProbe: {tcpSocket: {port: 9850}}
          env:
            - {name: A, value: "3276"}
            - {name: B, value: null}
---
apiVersion: v1
kind: Secret
metadata: {name: t}
data: {K: aGVsbG8=}
stringData: {S: plain}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c}
data: {1: one, true: "yes", 2.5: x}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: bool-value}
data: {a: yes}
`

// TestDecodeMatchesJSONRoundTrip: Decode and Unstructured give what helm's own path
// (sigs.k8s.io/yaml: YAML → JSON → encoding/json) gives.
// bothWays runs f once with every document decoded through encoding/json (few of a kind)
// and once through the unstructured converter (many of a kind).
func bothWays(t *testing.T, in string, f func(t *testing.T, docs []*Document)) {
	t.Helper()
	for _, many := range []bool{false, true} {
		t.Run(map[bool]string{false: "json", true: "converter"}[many], func(t *testing.T) {
			docs, err := Parse([]byte(in), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range docs {
				d.many = many
			}
			f(t, docs)
		})
	}
}

func TestManyOfAKindUseTheConverter(t *testing.T) {
	var b strings.Builder
	for i := range manyOfAKind {
		fmt.Fprintf(&b, "apiVersion: v1\nkind: Service\nmetadata: {name: s%d}\n---\n", i)
	}
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
	docs, err := Parse([]byte(b.String()), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if !docs[0].many || docs[len(docs)-1].many {
		t.Fatalf("Service ×%d many=%v, ConfigMap ×1 many=%v", manyOfAKind, docs[0].many, docs[len(docs)-1].many)
	}
}

func TestDecodeMatchesJSONRoundTrip(t *testing.T) {
	for _, in := range []string{tricky, helmOutput} {
		bothWays(t, in, func(t *testing.T, docs []*Document) { decodeMatches(t, docs) })
	}
}

func decodeMatches(t *testing.T, docs []*Document) {
	t.Helper()
	for _, d := range docs {
		var typed any
		switch d.Head.Kind {
		case "StatefulSet":
			typed = &appsv1.StatefulSet{}
		case "Secret":
			typed = &corev1.Secret{}
		case "ConfigMap":
			typed = &corev1.ConfigMap{}
		case "Service":
			typed = &corev1.Service{}
		default:
			typed = &corev1.ServiceAccount{}
		}
		want := reflect.New(reflect.TypeOf(typed).Elem()).Interface()
		wantErr := jsonRoundTrip(d.Raw, want)
		err := d.Decode(typed)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("%s: Decode error %v, JSON round trip error %v", d.Ref(), err, wantErr)
		}
		if err == nil && !reflect.DeepEqual(typed, want) {
			t.Errorf("%s: Decode = %+v\nJSON round trip = %+v", d.Ref(), typed, want)
		}
		checkUnstructured(t, d)
	}
}

// jsonRoundTrip is how documents were decoded before: YAMLToJSON (no target type, so YAML 1.1
// booleans such as "yes" stay booleans), then encoding/json.
func jsonRoundTrip(raw []byte, into any) error {
	j, err := yaml.YAMLToJSON(raw)
	if err != nil {
		return err
	}
	return json.Unmarshal(j, into)
}

// checkUnstructured compares Unstructured with the JSON round trip.
func checkUnstructured(t *testing.T, d *Document) {
	t.Helper()
	j, err := yaml.YAMLToJSON(d.Raw)
	if err != nil {
		t.Fatal(err)
	}
	// The API machinery's JSON reader (int64 and float64 numbers, as unstructured objects hold
	// them), without unstructured's own check of apiVersion and kind.
	var want map[string]any
	if err := utiljson.Unmarshal(j, &want); err != nil {
		t.Fatal(err)
	}
	got, err := d.Unstructured()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Object, want) {
		t.Errorf("%s: Unstructured = %v\nJSON round trip = %v", d.Ref(), got.Object, want)
	}
}

func TestDecodeRefusesWrongTypesLikeJSON(t *testing.T) {
	for _, in := range []string{
		"apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: \"x\"}]}\n",
		"apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 1.5}]}\n",
		"apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {clusterIP: 5}\n",
	} {
		var svc corev1.Service
		if jsonRoundTrip([]byte(in), &svc) == nil {
			t.Fatalf("the JSON round trip accepts %q; the case is wrong", in)
		}
		bothWays(t, in, func(t *testing.T, docs []*Document) {
			var svc corev1.Service
			if err := docs[0].Decode(&svc); err == nil {
				t.Errorf("Decode accepted %q, the JSON round trip refuses it", in)
			}
		})
	}
}

func TestHeadFieldsOfTheWrongTypeAreRefused(t *testing.T) {
	for _, in := range []string{
		"apiVersion: v1\nkind: 5\nmetadata: {name: a}\n",
		"apiVersion: v1\nkind: Pod\nmetadata: [a]\n",
		"apiVersion: v1\nkind: Pod\nmetadata: {name: {x: 1}}\n",
		"apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {x: .nan}\n",
	} {
		if _, err := Parse([]byte(in), Limits{}); err == nil {
			t.Errorf("Parse accepted %q", in)
		}
	}
}
