package main

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeIsCurrent fails when charts/spark-mr3/README.md's Values table does not match
// values.yaml.
func TestReadmeIsCurrent(t *testing.T) {
	values, err := os.ReadFile("../../charts/spark-mr3/values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../charts/spark-mr3/README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := ParseValues(values)
	if err != nil {
		t.Fatalf("%v\n(document every key with a `# --` comment right above it)", err)
	}
	want, err := ReplaceTable(readme, RenderTable(rows))
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != string(readme) {
		t.Fatal("charts/spark-mr3/README.md is stale: run `go run ./hack/chartdoc` from the repository root and commit README.md")
	}
}

func TestParseValues(t *testing.T) {
	rows, err := ParseValues([]byte(`# file header
# -- the image
image:
  # -- repository | with pipe
  # continued here
  repository: x
  # -- tag
  tag: ""
# -- free-form, children undocumented
labels:
  some_key: v
# -- a list
drivers:
  - name: a
# -- maybe
nodePort: null
`))
	if err != nil {
		t.Fatal(err)
	}
	got := RenderTable(rows)
	for _, want := range []string{
		"| `image` | object | see below | the image |",
		"| `image.repository` | string | `\"x\"` | repository \\| with pipe continued here |",
		"| `image.tag` | string | `\"\"` | tag |",
		"| `labels` | object | `{\"some_key\":\"v\"}` | free-form, children undocumented |",
		"| `drivers` | list | `[{\"name\":\"a\"}]` | a list |",
		"| `nodePort` | int or null | `null` | maybe |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q:\n%s", want, got)
		}
	}
}

func TestParseValuesRefusesUndocumentedAndNonCamelKeys(t *testing.T) {
	_, err := ParseValues([]byte(`image:
  # -- documented
  repository: x
  tag: ""
# -- snake
pull_policy: x
`))
	if err == nil {
		t.Fatal("undocumented image.tag and snake_case pull_policy were accepted")
	}
	for _, want := range []string{"image.tag", "pull_policy", "camelCase"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

func TestReplaceTableNeedsMarkers(t *testing.T) {
	if _, err := ReplaceTable([]byte("# README\n"), "x"); err == nil || !strings.Contains(err.Error(), "BEGIN chartdoc") {
		t.Errorf("err = %v", err)
	}
}
