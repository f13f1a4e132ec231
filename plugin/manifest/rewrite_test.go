package manifest

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	utiljson "k8s.io/apimachinery/pkg/util/json"
)

// trickyStrings are strings a YAML writer can get wrong: words and numbers YAML 1.1 or 1.2
// read as something else, indicators, blanks, line breaks, escapes.
var trickyStrings = []string{
	"", "y", "Y", "yes", "No", "on", "OFF", "true", "False", "null", "Null", "~",
	"1", "-1", "+1", "0x1F", "0o17", "017", "1_000", "1e3", "1.5", ".5", ".inf", "-.Inf", ".NaN",
	"1:20", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "=", "<<", "-", "- a", "--- x", "---",
	"a: b", "a:b", "a:", "a #b", "a#b", "#x", "@at", "`t", "*alias", "&anchor", "!tag", "%x",
	"[x]", "{x}", "a,b", "'q'", "\"dq\"", "|", ">", "?", "? x", " lead", "trail ", "a  b",
	"multi\nline\n", "multi\nline", "x\n\n", "x\n\n\n", "\n", "\n\nx", "a\r\nb", "tab\tin",
	"\tfirst\nx", "a\n  indented\nb\n", "a \nb", "a\n \nb", "a\n\tb\n", "unicode é ✓",
	"\u2028", "a\u2028b\nc", "\x01", "\x7f", "a\x7fb\nc", "\ufeffbom", "é\nü\n", "a\n---\nb\n",
	"gold0=10.1.90.9", "app.kubernetes.io/name", "busybox:1.36", "/opt/mr3-run/work-dir",
	"512Mi", "10.1.90.9", "spark.mr3.k8s.host.aliases", "Exists", "Always", strings.Repeat("x", 300),
	strings.Repeat("x ", 300), strings.Repeat("x", 1100), strings.Repeat("\u2028", 200),
	"<?xml version=\"1.0\"?>\n<configuration>\n  <property>\n    <name>a</name>\n  </property>\n</configuration>\n",
}

// TestRewriteReadsBackTheSameValues: whatever values a caller puts in a document, Rewrite
// writes them so that Read (and so helm) reads the same values back.
func TestRewriteReadsBackTheSameValues(t *testing.T) {
	docs, err := Parse([]byte("# Source: x/templates/c.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	d := docs[0]
	var list []any
	m := map[string]any{}
	for _, s := range trickyStrings {
		list = append(list, s)
		if s != "" && s != "<<" {
			m[s] = s
		}
	}
	obj := d.Object()
	for k, v := range map[string]any{
		"strings": list,
		"keys":    m,
		"empty":   map[string]any{},
		"none":    []any{},
		"null":    nil,
		"bools":   []any{true, false},
		"ints":    []any{int64(0), int64(-1), int64(1<<63 - 1), int64(-1 << 63)},
		"floats":  []any{1.5, -0.25, 1e21, 1e-7, 123456.789, 1e300},
		"nested":  []any{[]any{"a", []any{}}, map[string]any{}, []any{map[string]any{"x": []any{"y"}}}},
		"list":    []any{map[string]any{"name": "a", "image": "b:1", "args": []any{"multi\nline\n", "x"}}},
		"deep":    map[string]any{"a": map[string]any{"b": map[string]any{"c": "multi\nline\n"}}},
		"":        "empty key",
	} {
		obj[k] = v
	}
	want := cloneJSON(t, obj)
	if err := d.Rewrite(); err != nil {
		t.Fatal(err)
	}
	again, err := Parse(d.Raw, Limits{})
	if err != nil {
		t.Fatalf("re-read: %v\n%s", err, d.Raw)
	}
	if len(again) != 1 || again[0].Source != "x/templates/c.yaml" {
		t.Fatalf("re-read %d documents, source %q", len(again), again[0].Source)
	}
	if !reflect.DeepEqual(again[0].Object(), want) {
		t.Fatalf("read back differs\nwant %#v\ngot  %#v\n%s", want, again[0].Object(), d.Raw)
	}
	checkUnstructured(t, again[0])
}

// cloneJSON is v as Read would hold it (int64 and float64 numbers).
func cloneJSON(t *testing.T, v map[string]any) map[string]any {
	t.Helper()
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := utiljson.Unmarshal(j, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRewriteKeepsHeadCommentsAndValues(t *testing.T) {
	docs, err := Parse([]byte("---\n# Source: x/templates/a.yaml\n\n# more\napiVersion: v1\nkind: ConfigMap # trailing\nmetadata:\n  name: a\ndata:\n  k: |\n    v\n  \"n\": \"1\"\n  list: [\"y\", 80]\n"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	d := docs[0]
	d.Object()["metadata"].(map[string]any)["name"] = "b"
	if err := d.Rewrite(); err != nil {
		t.Fatal(err)
	}
	want := "# Source: x/templates/a.yaml\n# more\napiVersion: v1\ndata:\n  k: |\n    v\n  list:\n  - \"y\"\n  - 80\n  \"n\": \"1\"\nkind: ConfigMap\nmetadata:\n  name: b\n"
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

// TestRewriteQuotesAMergeKey: a key "<<" is written quoted, so that no YAML 1.1 reader takes
// it for a merge key, and reads back as the same value.
func TestRewriteQuotesAMergeKey(t *testing.T) {
	docs, err := Parse([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  '<<': x\n"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if err := docs[0].Rewrite(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(docs[0].Raw), `"<<": x`) {
		t.Fatalf("the key \"<<\" is not written quoted:\n%s", docs[0].Raw)
	}
	again, err := Parse(docs[0].Raw, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if v := again[0].Object()["data"].(map[string]any)["<<"]; v != "x" {
		t.Fatalf("re-read data[\"<<\"] = %v", v)
	}
}

// TestDecodeSeesChangedValues: after Object, Decode reads the values, not the JSON Read made.
func TestDecodeSeesChangedValues(t *testing.T) {
	docs, err := Parse([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	docs[0].Object()["metadata"].(map[string]any)["name"] = "b"
	var cm struct {
		Metadata struct{ Name string } `json:"metadata"`
	}
	if err := docs[0].Decode(&cm); err != nil || cm.Metadata.Name != "b" {
		t.Fatalf("Decode: %q, %v", cm.Metadata.Name, err)
	}
}
