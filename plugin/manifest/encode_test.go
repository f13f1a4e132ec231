package manifest

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"

	goyaml "go.yaml.in/yaml/v2"
	"sigs.k8s.io/yaml"
)

// trickyStrings are strings a YAML writer can get wrong: words and numbers YAML 1.1 or 1.2
// read as something else, indicators, blanks, line breaks, escapes.
var trickyStrings = []string{
	"", "y", "Y", "yes", "No", "on", "OFF", "true", "False", "null", "Null", "~",
	"1", "-1", "+1", "0x1F", "0o17", "017", "1_000", "1e3", "1.5", ".5", ".inf", "-.Inf", ".NaN",
	"1:20", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "=", "<<", "-", "- a", "--- x",
	"a: b", "a:b", "a:", "a #b", "a#b", "#x", "@at", "`t", "*alias", "&anchor", "!tag", "%x",
	"[x]", "{x}", "a,b", "'q'", "\"dq\"", "|", ">", "?", "? x", " lead", "trail ", "a  b",
	"multi\nline\n", "multi\nline", "x\n\n", "x\n\n\n", "\n", "\n\nx", "a\r\nb", "tab\tin",
	"\tfirst\nx", "a\n  indented\nb\n", "a \nb", "a\n \nb", "a\n\tb\n", "unicode é ✓",
	"\u2028", "a\u2028b\nc", "\x01", "\x7f", "a\x7fb\nc", "\ufeffbom", "é\nü\n",
	"gold0=10.1.90.9", "app.kubernetes.io/name", "busybox:1.36", "/opt/mr3-run/work-dir",
	"512Mi", "10.1.90.9", "spark.mr3.k8s.host.aliases", "Exists", "Always", strings.Repeat("x", 300),
	strings.Repeat("x", 1100), strings.Repeat("\u2028", 200),
	"<?xml version=\"1.0\"?>\n<configuration>\n  <property>\n    <name>a</name>\n  </property>\n</configuration>\n",
}

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

func TestRewriteKeepsHeadCommentsAndValues(t *testing.T) {
	docs, err := Parse([]byte("---\n# Source: x/templates/a.yaml\n\n# more\napiVersion: v1\nkind: ConfigMap # trailing\nmetadata:\n  name: a\ndata:\n  k: |\n    v\n"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	d := docs[0]
	d.Object()["metadata"].(map[string]any)["name"] = "b"
	if err := d.Rewrite(); err != nil {
		t.Fatal(err)
	}
	want := "# Source: x/templates/a.yaml\n# more\napiVersion: v1\ndata:\n  k: |\n    v\nkind: ConfigMap\nmetadata:\n  name: b\n"
	if string(d.Raw) != want {
		t.Fatalf("Raw =\n%s\nwant\n%s", d.Raw, want)
	}
	if d.Head.Name() != "b" || d.Source != "x/templates/a.yaml" {
		t.Fatalf("Head %+v Source %q", d.Head, d.Source)
	}
	again, err := Parse(d.Raw, Limits{})
	if err != nil || again[0].Source != d.Source {
		t.Fatalf("re-read: %v", err)
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
