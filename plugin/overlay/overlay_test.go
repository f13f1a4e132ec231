package overlay

import (
	"errors"
	"strings"
	"testing"

	"github.com/spark-mr3/spark-mr3/plugin/manifest"
)

func TestCompile(t *testing.T) {
	tests := []struct {
		k, why string
	}{
		{k: "resources: [out.yaml]\n"},
		{k: "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [out.yaml]\ncommonAnnotations: {a: b}\nlabels: [{pairs: {c: d}, includeTemplates: true}]\nimages: [{name: x, newTag: \"1\"}]\n"},
		{k: "resources: [out.yaml, more.yaml]\n", why: "resources other than out.yaml"},
		{k: "commonAnnotations: {a: b}\n", why: "no resources"},
		{k: "resources: [out.yaml]\nnamePrefix: p-\n", why: "field namePrefix"},
		{k: "resources: [out.yaml]\nkind: Component\n", why: "kind Component"},
		{k: "resources: [out.yaml]\ncommonAnnotations: {a: 1}\n", why: "commonAnnotations that are not all strings"},
		{k: "resources: [out.yaml]\ncommonAnnotations: {\"on\": b}\n", why: `commonAnnotations key "on"`},
		{k: "resources: [out.yaml]\nlabels: [{pairs: {a: b}, includeSelectors: true}]\n", why: "labels with includeSelectors"},
		{k: "resources: [out.yaml]\nlabels: [{pairs: {a: b}}, {pairs: {a: c}}]\n", why: "label a in more than one labels entry"},
		{k: "resources: [out.yaml]\nimages: [{newTag: \"1\"}]\n", why: "an images entry without a name"},
		{k: "resources: [out.yaml]\nimages: [{name: x, newTag: 1}]\n", why: "images newTag that is not a string"},
		{k: "- a\n", why: "the kustomization is not a YAML mapping"},
	}
	for _, tt := range tests {
		n, why := Compile([]byte(tt.k), "out.yaml")
		if why != tt.why || (why == "") != (n != nil) {
			t.Errorf("Compile(%q) = %v, %q; want reason %q", tt.k, n != nil, why, tt.why)
		}
	}
}

func TestSplitImage(t *testing.T) {
	for in, want := range map[string][3]string{
		"busybox":                        {"busybox", "", ""},
		"busybox:1.36":                   {"busybox", "1.36", ""},
		"busybox@sha256:ab":              {"busybox", "", "sha256:ab"},
		"busybox:1@sha256:ab":            {"busybox", "1", "sha256:ab"},
		"registry:5000/mr3/spark3":       {"registry:5000/mr3/spark3", "", ""},
		"registry:5000/mr3/spark3:3.5.2": {"registry:5000/mr3/spark3", "3.5.2", ""},
		"registry:5000/a@sha256:0":       {"registry:5000/a", "", "sha256:0"},
		"registry:5000/a:t@sha256:0":     {"registry:5000/a", "t", "sha256:0"},
	} {
		n, tag, d := splitImage(in)
		if got := [3]string{n, tag, d}; got != want {
			t.Errorf("splitImage(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestApplyDeclinesAndRewrites(t *testing.T) {
	n, why := Compile([]byte("resources: [o]\ncommonAnnotations: {a: b}\nimages: [{name: busybox, newTag: \"2\"}]\n"), "o")
	if n == nil {
		t.Fatal(why)
	}
	docs, err := manifest.Parse([]byte("# Source: t.yaml\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: busybox}]}\n"), manifest.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Apply(docs); err != nil {
		t.Fatal(err)
	}
	raw := string(docs[0].Raw)
	if !strings.HasPrefix(raw, "# Source: t.yaml\n") || !strings.Contains(raw, "image: busybox:2") || !strings.Contains(raw, "a: b") {
		t.Errorf("rewritten document:\n%s", raw)
	}
	docs, err = manifest.Parse([]byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p, annotations: x}\n"), manifest.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var d *Declined
	if err := n.Apply(docs); !errors.As(err, &d) || !strings.Contains(d.Reason, "Pod/p") {
		t.Errorf("Apply on annotations that are a string: %v, want Declined naming Pod/p", err)
	}
}
