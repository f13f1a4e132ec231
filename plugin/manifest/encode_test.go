package manifest

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"testing"

	goyaml "go.yaml.in/yaml/v2"
	"sigs.k8s.io/yaml"
)

func TestAppendYAMLReadsBackTheSameValues(t *testing.T) {
	var list []any
	m := map[string]any{}
	for _, s := range trickyStrings {
		list = append(list, s)
		if s != "" {
			m[s] = s
		}
	}
	obj := map[string]any{
		"strings": list,
		"keys":    m,
		"empty":   map[string]any{},
		"none":    []any{},
		"null":    nil,
		"bools":   []any{true, false},
		"ints":    []any{int64(0), int64(-1), int64(math.MaxInt64), int64(math.MinInt64), 80},
		"floats":  []any{1.5, -0.25, 1e21, 1e-7, 123456.789, 1e300},
		"nested":  []any{[]any{"a", []any{}}, map[string]any{}, []any{map[string]any{"x": []any{"y"}}}},
		"list":    []any{map[string]any{"name": "a", "image": "b:1", "args": []any{"multi\nline\n", "x"}}},
		"deep":    map[string]any{"a": map[string]any{"b": map[string]any{"c": "multi\nline\n"}}},
		"":        "empty key",
	}
	out, err := AppendYAML(nil, obj)
	if err != nil {
		t.Fatal(err)
	}
	checkReadsBack(t, obj, out)
}

// checkReadsBack reads out with go-yaml v2 (as Read does) and with sigs.k8s.io/yaml's
// YAML→JSON (as helm and kubectl do) and wants want both times.
func checkReadsBack(t *testing.T, want map[string]any, out []byte) {
	t.Helper()
	var v any
	if err := goyaml.Unmarshal(out, &v); err != nil {
		t.Fatalf("read back: %v\n%s", err, out)
	}
	got, err := jsonCompatible(v)
	if err != nil {
		t.Fatal(err)
	}
	norm, err := jsonCompatible(toYAMLShape(want))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, norm) {
		t.Fatalf("read back differs\nwant %#v\ngot  %#v\n%s", norm, got, out)
	}
	j1, err := yaml.YAMLToJSON(out)
	if err != nil {
		t.Fatalf("YAMLToJSON: %v\n%s", err, out)
	}
	j2, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	if err := json.Unmarshal(j1, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(j2, &b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("helm's YAML→JSON reads something else\nwant %s\ngot  %s\n%s", j2, j1, out)
	}
}

// toYAMLShape turns JSON-compatible values into what go-yaml v2 makes (map[any]any), so that
// jsonCompatible normalizes both sides the same way.
func toYAMLShape(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[any]any, len(t))
		for k, x := range t {
			m[k] = toYAMLShape(x)
		}
		return m
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = toYAMLShape(x)
		}
		return out
	default:
		return v
	}
}

func TestAppendYAMLStyle(t *testing.T) {
	obj := map[string]any{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata":   map[string]any{"name": "c", "labels": map[string]any{"app.kubernetes.io/name": "spark-mr3"}, "annotations": map[string]any{}},
		"data":       map[string]any{"a.xml": "<a>\n  <b/>\n</a>\n", "n": "1", "flag": "true"},
		"list":       []any{map[string]any{"name": "x", "ports": []any{int64(80)}}, "y"},
	}
	out, err := AppendYAML([]byte("# Source: c.yaml\n"), obj)
	if err != nil {
		t.Fatal(err)
	}
	want := `# Source: c.yaml
apiVersion: v1
data:
  a.xml: |
    <a>
      <b/>
    </a>
  flag: "true"
  "n": "1"
kind: ConfigMap
list:
- name: x
  ports:
  - 80
- "y"
metadata:
  annotations: {}
  labels:
    app.kubernetes.io/name: spark-mr3
  name: c
`
	if string(out) != want {
		t.Fatalf("got\n%s\nwant\n%s", out, want)
	}
}

func TestAppendYAMLRefuses(t *testing.T) {
	for _, v := range []any{math.NaN(), math.Inf(1), "\xff", struct{}{}} {
		if _, err := AppendYAML(nil, map[string]any{"k": v}); err == nil {
			t.Errorf("%#v: no error", v)
		}
	}
	if _, err := AppendYAML(nil, map[string]any{"\xff": "v"}); err == nil {
		t.Error("invalid UTF-8 key: no error")
	}
}

// FuzzAppendYAML: whatever mapping go-yaml reads, AppendYAML writes so that it reads back the
// same, with go-yaml and with helm's YAML→JSON.
func FuzzAppendYAML(f *testing.F) {
	f.Add([]byte(helmOutput))
	for _, s := range trickyStrings {
		b, err := json.Marshal(map[string]any{"k": s, "l": []any{s}})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > 1<<12 {
			return
		}
		var v any
		if goyaml.Unmarshal(in, &v) != nil {
			return
		}
		jv, err := jsonCompatible(v)
		if err != nil {
			return
		}
		obj, ok := jv.(map[string]any)
		if !ok {
			return
		}
		out, err := AppendYAML(nil, obj)
		if err != nil {
			return // not valid UTF-8: refused, never written wrong
		}
		if _, err := json.Marshal(obj); err != nil {
			return
		}
		checkReadsBack(t, obj, out)
	})
}

// jsonCompatible turns what the YAML decoder made into the values encoding/json would make
// of sigs.k8s.io/yaml's YAMLToJSON output (what helm and kubectl use): string map keys (other
// scalar keys formatted as YAMLToJSON does), int64 integers (integral floats too, as a JSON
// reader sees them), float64 other numbers. NaN and
// infinities cannot be JSON and are refused, as YAMLToJSON refuses them.
func jsonCompatible(v any) (any, error) {
	switch t := v.(type) {
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			var ks string
			switch kt := k.(type) {
			case string:
				ks = kt
			case int:
				ks = strconv.Itoa(kt)
			case int64:
				ks = strconv.FormatInt(kt, 10)
			case uint64:
				ks = strconv.FormatUint(kt, 10)
			case float64:
				ks = strconv.FormatFloat(kt, 'g', -1, 32)
			case bool:
				ks = strconv.FormatBool(kt)
			case nil:
				ks = "null"
			default:
				return nil, fmt.Errorf("unsupported map key of type %T: %v", k, k)
			}
			cv, err := jsonCompatible(x)
			if err != nil {
				return nil, err
			}
			m[ks] = cv
		}
		return m, nil
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			cv, err := jsonCompatible(x)
			if err != nil {
				return nil, err
			}
			out[i] = cv
		}
		return out, nil
	case int:
		return int64(t), nil
	case int64:
		return t, nil
	case uint64:
		if t <= math.MaxInt64 {
			return int64(t), nil
		}
		return float64(t), nil
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return nil, fmt.Errorf("unsupported value: %v", t)
		}
		// encoding/json writes an integral float below 1e21 without a fraction ("80"), which
		// reads back as an integer.
		if t == math.Trunc(t) && math.Abs(t) < 1e21 && t >= math.MinInt64 && t < math.MaxInt64 {
			return int64(t), nil
		}
		return t, nil
	case string, bool, nil:
		return t, nil
	default:
		return nil, fmt.Errorf("unsupported value of type %T", v)
	}
}
